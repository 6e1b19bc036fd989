"""OTA updates as seen from a station's socket (``/ws/sensors/``).

Contract used by ``custos.modules.quality.consumers`` (the station consumer calls these through
``database_sync_to_async``; both are synchronous and do their own database work):

* ``offers_for(device) -> list[dict]``: the ``ota_available`` messages to send to this device after a
  ``hello_ack`` or a heartbeat (empty when nothing is pending for it);
* ``record_progress(device, message) -> dict | None``: handle an ``ota_progress`` message from the
  device (advances its per-device log); returns the reply to send, or ``None``.
"""

from __future__ import annotations

from typing import Any

from custos.devices.models import Device


def offers_for(device: Device) -> list[dict[str, Any]]:
    return []


def record_progress(device: Device, message: dict[str, Any]) -> dict[str, Any] | None:
    return None
