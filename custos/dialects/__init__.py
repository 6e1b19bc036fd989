"""One package per API document: its route table and the conventions it answers in."""
