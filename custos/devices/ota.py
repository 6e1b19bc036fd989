"""OTA updates as seen from a station's socket (``/ws/sensors/``).

Contract used by ``custos.modules.quality.consumers`` (the station consumer calls these through
``database_sync_to_async``; both are synchronous and do their own database work):

* ``offers_for(device) -> list[dict]``: the ``ota_available`` messages to send to this device after a
  ``hello_ack`` or a heartbeat (empty when nothing is pending for it);
* ``record_progress(device, message) -> dict | None``: handle an ``ota_progress`` message from the
  device (advances its per-device log); returns the reply to send, or ``None``.

Messages (docs/sqal-firmware.md):

* ``{"type": "ota_available", "update_id", "version", "name", "size", "sha256", "download_url",
  "status", "progress"}``: fetch ``download_url`` with ``Authorization: Device <token>``, check the
  SHA-256, install, report;
* in: ``{"type": "ota_progress", "update_id", "status": "downloading"|"installing"|"completed"|"failed",
  "progress": 0-100, "error": "..."}``;
* out: ``{"type": "ota_progress_ack", "update_id", "status", "progress"}``, or ``{"type": "ota_error",
  "update_id", "message", "status_code"}`` when the report is refused (nothing changes then).
"""

from __future__ import annotations

from typing import Any

from custos.devices.firmware import ota_log_progress, ota_offers
from custos.devices.models import Device
from custos.kernel.context import WriteContext
from custos.kernel.errors import DomainError


def offers_for(device: Device) -> list[dict[str, Any]]:
    return ota_offers(device)


def _refusal(error: DomainError) -> str:
    if error.field_errors:
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.field_errors.items())
    return error.message


def record_progress(device: Device, message: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(message, dict):
        return {
            "type": "ota_error",
            "update_id": None,
            "message": "The message must be a JSON object.",
            "status_code": 400,
        }
    update_id = message.get("update_id", message.get("updateId"))
    data = {**message, "update_id": update_id}
    ctx = WriteContext(device=device, organization_id=device.organization_id)
    try:
        log = ota_log_progress(ctx, device=device, data=data)
    except DomainError as error:
        shown = update_id if isinstance(update_id, str) else None
        return {"type": "ota_error", "update_id": shown, "message": _refusal(error), "status_code": error.status_code}
    return {"type": "ota_progress_ack", "update_id": str(log.update_id), "status": log.status, "progress": log.progress}
