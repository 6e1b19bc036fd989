"""Twin analytics: anomaly detection, failure prediction, health, recommendations."""
