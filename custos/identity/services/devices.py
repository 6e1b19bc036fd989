"""Logged devices: recorded on every login, and managed by their owner (access document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from custos.audit.writes import audited_create, audited_delete, audited_update
from custos.identity.models import DeviceType, LoggedDevice
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

DEVICE_FIELDS = ("device_type", "device_name", "place")

_BROWSERS = (
    ("edg/", "Edge"),
    ("opr/", "Opera"),
    ("firefox/", "Firefox"),
    ("chrome/", "Chrome"),
    ("safari/", "Safari"),
    ("curl/", "curl"),
    ("python", "Python client"),
)
_SYSTEMS = (
    ("windows", "Windows"),
    ("android", "Android"),
    ("iphone", "iOS"),
    ("ipad", "iOS"),
    ("mac os x", "macOS"),
    ("linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """(device_type, a readable name) from a User-Agent header."""
    low = user_agent.lower()
    mobile = any(mark in low for mark in ("mobile", "android", "iphone", "ipad"))
    browser = next((name for mark, name in _BROWSERS if mark in low), "Unknown client")
    system = next((name for mark, name in _SYSTEMS if mark in low), "")
    return (DeviceType.MOBILE if mobile else DeviceType.DESKTOP), (f"{browser} on {system}" if system else browser)


def record_login_device(ctx: WriteContext, *, user: Any, device_name: str, now: datetime) -> LoggedDevice:
    """The device of a login (created or its last login noted); audited as part of the login."""
    user_agent = ctx.user_agent[:512]
    device_type, derived = describe_user_agent(user_agent)
    name = (device_name or derived)[:150]
    device, created = LoggedDevice.objects.get_or_create(
        user=user,
        device_type=device_type,
        device_name=name,
        defaults={
            "place": ctx.client_ip or "",
            "ip_address": ctx.client_ip,
            "user_agent": user_agent,
            "last_login_at": now,
        },
    )
    if not created:
        device.ip_address, device.user_agent, device.last_login_at = ctx.client_ip, user_agent, now
        device.save(update_fields=["ip_address", "user_agent", "last_login_at", "updated_at"])
    return device


def _device_unique(user: Any, device_type: str, device_name: str, exclude: Any = None) -> None:
    clash = LoggedDevice.objects.filter(user=user, device_type=device_type, device_name=device_name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(
            field_errors={"non_field_errors": ["A device with this type and name is already registered."]}
        )


def logged_device_create(ctx: WriteContext, *, data: dict[str, Any]) -> LoggedDevice:
    """A device of the caller (``ctx.user``), unique per (type, name)."""
    _device_unique(ctx.user, data["device_type"], data["device_name"])
    values = {
        "user": ctx.user,
        "device_type": data["device_type"],
        "device_name": data["device_name"],
        "place": data.get("place", ""),
        "last_login_at": data.get("last_login_at"),
    }
    audit_values = {field: values[field] for field in DEVICE_FIELDS}
    return audited_create(ctx, LoggedDevice, values=values, roles=None, audit_values=audit_values)


def logged_device_update(ctx: WriteContext, *, device: LoggedDevice, data: dict[str, Any]) -> LoggedDevice:
    _device_unique(
        device.user_id,
        data.get("device_type", device.device_type),
        data.get("device_name", device.device_name),
        device.pk,
    )
    values = {field: data[field] for field in (*DEVICE_FIELDS, "last_login_at") if field in data}
    return audited_update(ctx, device, values=values, roles=None)


def logged_device_delete(ctx: WriteContext, *, device: LoggedDevice) -> None:
    audited_delete(ctx, device, roles=None)
