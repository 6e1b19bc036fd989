"""One alert lifecycle for every domain (open, acknowledged, resolved)."""
