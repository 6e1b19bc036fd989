"""Writes of the operations app: the settings record, upload limits, WebSocket connection counts."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from custos.audit.services import audit_changes, audit_record
from custos.kernel.context import WriteContext
from custos.kernel.errors import DomainError, PermissionDenied, ValidationFailed
from custos.ops.models import SystemSettings

EDITABLE_SETTINGS = (
    "site_name",
    "timezone",
    "email_notifications",
    "sms_notifications",
    "alert_notifications",
    "analysis_confidence_threshold",
    "data_retention_days",
    "image_retention_days",
    "log_retention_days",
    "session_timeout_minutes",
    "password_min_length",
    "failed_login_lockout",
    "lockout_minutes",
    "api_rate_limit",
    "max_file_size_mb",
    "maintenance_mode",
)


class FileTooLarge(DomainError):
    status_code = 413
    code = "FILE_TOO_LARGE"
    default_message = "The file exceeds the size limit."


def settings_update(ctx: WriteContext, *, data: dict[str, Any]) -> SystemSettings:
    """Change the settings record (platform staff, or the platform itself); validated by the model's
    validators; audited as ``UPDATE`` of ``SystemSettings`` with the changed values."""
    if not ctx.is_system and not getattr(ctx.user, "is_staff", False):
        raise PermissionDenied("Only staff may change the system settings.")
    unknown = sorted(set(data) - set(EDITABLE_SETTINGS))
    if unknown:
        raise ValidationFailed(field_errors={name: ["This setting cannot be changed."] for name in unknown})
    if "timezone" in data and data["timezone"] not in zoneinfo.available_timezones():
        raise ValidationFailed(field_errors={"timezone": [f"Unknown time zone {data['timezone']!r}."]})
    with transaction.atomic():
        record = SystemSettings.objects.select_for_update().get(pk=SystemSettings.load().pk)
        before = {name: getattr(record, name) for name in data}
        for name, value in data.items():
            setattr(record, name, value)
        try:
            record.full_clean(exclude=["updated_by"])
        except DjangoValidationError as exc:
            raise ValidationFailed(field_errors=exc.message_dict) from None
        changes = audit_changes(before, {name: getattr(record, name) for name in data})
        record.updated_by = ctx.user
        record.save()
        audit_record(
            ctx,
            action="UPDATE",
            resource_type="SystemSettings",
            resource_id=record.pk,
            resource_name=record.site_name,
            changes=changes,
        )
    return record


def upload_limit_bytes() -> int:
    """The largest file any module accepts (``max_file_size_mb`` of the settings record)."""
    return SystemSettings.load().max_file_size_mb * 1024 * 1024


def check_upload_size(size_bytes: int) -> None:
    """Raise ``FILE_TOO_LARGE`` (413) when ``size_bytes`` passes the settings' limit."""
    limit = upload_limit_bytes()
    if size_bytes > limit:
        raise FileTooLarge(
            f"The file is {size_bytes} bytes; the limit is {limit // (1024 * 1024)} MB.",
            extra={"max_bytes": limit, "size_bytes": size_bytes},
        )


# --- WebSocket connections (counted in the shared cache by the real-time servers) -----------------

WEBSOCKET_COUNTER_KEY = "custos:ops:websocket-connections"


def websocket_connected() -> None:
    """Called by every WebSocket/Socket.IO server when a client connects (``/api/system_metrics``)."""
    cache.add(WEBSOCKET_COUNTER_KEY, 0, timeout=None)
    try:
        cache.incr(WEBSOCKET_COUNTER_KEY)
    except ValueError:
        cache.set(WEBSOCKET_COUNTER_KEY, 1, timeout=None)


def websocket_disconnected() -> None:
    try:
        if (cache.decr(WEBSOCKET_COUNTER_KEY) or 0) < 0:
            cache.set(WEBSOCKET_COUNTER_KEY, 0, timeout=None)
    except ValueError:
        cache.set(WEBSOCKET_COUNTER_KEY, 0, timeout=None)
