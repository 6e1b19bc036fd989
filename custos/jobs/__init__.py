"""Job records over Celery: progress, cancel, retry, metrics."""
