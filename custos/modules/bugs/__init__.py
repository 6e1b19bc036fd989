"""Bug reports and comments."""
