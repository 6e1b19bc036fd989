"""The sqal dialect: its route table and presenters."""
