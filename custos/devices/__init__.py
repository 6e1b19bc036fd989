"""Device registry, telemetry storage and ingestion, firmware and OTA."""
