"""Model registry, datasets, training jobs and predictions."""
