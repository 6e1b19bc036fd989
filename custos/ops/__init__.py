"""Health, metrics, system metrics, monitoring endpoints and settings."""
