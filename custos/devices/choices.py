"""Device vocabulary: statuses and the device types the twin document names (others are allowed)."""

from __future__ import annotations

from django.db import models


class DeviceStatus(models.TextChoices):
    NORMAL = "normal", "Normal"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"
    OFFLINE = "offline", "Offline"


# The types of the twin document; any other type matching DEVICE_TYPE_PATTERN is accepted as well.
KNOWN_DEVICE_TYPES = (
    "temperature_sensor",
    "pressure_sensor",
    "vibration_sensor",
    "humidity_sensor",
    "power_meter",
)
GENERIC_DEVICE_TYPE = "generic"

DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}$"  # one URL path segment
DEVICE_TYPE_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,63}$"
METRIC_PATTERN = r"^[A-Za-z0-9_.\-]{1,64}$"
DEFAULT_METRIC = "value"
