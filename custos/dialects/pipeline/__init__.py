"""The pipeline dialect: its route table and presenters."""
