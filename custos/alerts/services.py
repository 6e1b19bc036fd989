"""The alert lifecycle. Every change is audited in the caller's transaction (``CREATE`` / ``ACKNOWLEDGE`` /
``RESOLVE`` on ``Alert``) and published, after commit, to the organization's ``alerts`` room
(``alert_update``; ``alert_acknowledged`` as the twin API names it).

Raising needs no role (a domain's checks or the platform raise alerts); acknowledging and resolving
need a write role in the alert's organization unless the caller passes ``roles=None`` (it has checked
access itself) or acts as the platform (``WriteContext.system()``)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.audit.writes import audited_create, audited_update
from custos.events import services as events
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict
from custos.orgs.choices import WRITE_ROLES


def alert_event_payload(alert: Alert) -> dict[str, Any]:
    return {
        "id": str(alert.pk),
        "source": alert.source,
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "title": alert.title,
        "message": alert.message,
        "status": alert.status,
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "created_at": alert.created_at.isoformat() if alert.created_at else None,
    }


def _publish(alert: Alert) -> None:
    events.publish(
        organization_id=alert.organization_id, topic="alerts", event="alert_update", payload=alert_event_payload(alert)
    )


def alert_raise(
    ctx: WriteContext,
    *,
    organization_id: Any,
    source: str,
    alert_type: str,
    severity: str,
    message: str,
    title: str = "",
    subject_type: str = "",
    subject_id: Any = "",
    data: dict[str, Any] | None = None,
    recipients: list[str] | None = None,
) -> Alert:
    """Open an alert in ``organization_id`` (raised by a domain's own checks: no role is required)."""
    with transaction.atomic():
        alert = audited_create(
            ctx.within(organization_id),
            Alert,
            values={
                "organization_id": organization_id,
                "source": source,
                "alert_type": alert_type,
                "severity": severity,
                "title": title,
                "message": message,
                "subject_type": subject_type,
                "subject_id": str(subject_id or ""),
                "data": data or {},
                "recipients": recipients or [],
            },
            audit_values={"severity": severity, "subject": f"{subject_type}:{subject_id}"},
            roles=None,
            event=False,  # published as ``alert_update`` on ``alerts`` below
        )
        _publish(alert)
    return alert


def alert_acknowledge(ctx: WriteContext, alert: Alert, *, roles: Collection[str] | None = WRITE_ROLES) -> Alert:
    """Acknowledge an open alert (twice is harmless); a resolved one is a 409."""
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("A resolved alert cannot be acknowledged.")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    acknowledged_at = timezone.now()
    with transaction.atomic():
        audited_update(
            ctx,
            alert,
            values={
                "status": AlertStatus.ACKNOWLEDGED,
                "acknowledged_by": ctx.user,
                "acknowledged_at": acknowledged_at,
            },
            action="ACKNOWLEDGE",
            roles=roles,
            event=False,  # published as ``alert_acknowledged`` below
        )
        events.publish(
            organization_id=alert.organization_id,
            topic="alerts",
            event="alert_acknowledged",
            payload={
                "alertId": str(alert.pk),
                "acknowledgedBy": getattr(ctx.user, "email", None),
                "timestamp": acknowledged_at.isoformat(),
            },
        )
    return alert


def alert_resolve(
    ctx: WriteContext, alert: Alert, *, notes: str = "", roles: Collection[str] | None = WRITE_ROLES
) -> Alert:
    """Resolve an alert (once: a second time is a 409)."""
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("The alert is already resolved.")
    with transaction.atomic():
        audited_update(
            ctx,
            alert,
            values={
                "status": AlertStatus.RESOLVED,
                "resolved_by": ctx.user,
                "resolved_at": timezone.now(),
                "resolution_notes": notes,
            },
            action="RESOLVE",
            roles=roles,
            event=False,  # published as ``alert_update`` below
            extra_changes={"notes": notes},
        )
        _publish(alert)
    return alert
