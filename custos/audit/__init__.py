"""One append-only, hash-chained audit log of every write."""
