"""The access dialect: its route table and presenters."""
