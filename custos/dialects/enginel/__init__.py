"""The enginel dialect: its route table and presenters."""
