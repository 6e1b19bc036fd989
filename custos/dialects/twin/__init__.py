"""The twin dialect: its route table and presenters."""
