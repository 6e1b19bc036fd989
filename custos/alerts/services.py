"""The alert lifecycle. Every change is audited in the caller's transaction and published, after commit,
to the organization's ``alerts`` room (``alert_update``; ``alert_acknowledged`` as the twin API names it)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.audit.services import audit_changes, audit_record
from custos.events.services import publish
from custos.kernel.errors import Conflict


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
    publish(
        organization_id=alert.organization_id, topic="alerts", event="alert_update", payload=alert_event_payload(alert)
    )


def alert_raise(
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
    actor: Any = None,
    request: Any = None,
) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.create(
            organization_id=organization_id,
            source=source,
            alert_type=alert_type,
            severity=severity,
            title=title,
            message=message,
            subject_type=subject_type,
            subject_id=str(subject_id or ""),
            data=data or {},
            recipients=recipients or [],
        )
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="Alert",
            resource_id=alert.pk,
            resource_name=f"{source}/{alert_type}",
            changes={"severity": severity, "subject": f"{subject_type}:{subject_id}"},
            organization_id=organization_id,
            request=request,
        )
        _publish(alert)
    return alert


def alert_acknowledge(*, alert: Alert, actor: Any, request: Any = None) -> Alert:
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("A resolved alert cannot be acknowledged.")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    with transaction.atomic():
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = actor
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
        audit_record(
            actor=actor,
            action="ACKNOWLEDGE",
            resource_type="Alert",
            resource_id=alert.pk,
            changes=audit_changes({"status": AlertStatus.OPEN}, {"status": AlertStatus.ACKNOWLEDGED}),
            organization_id=alert.organization_id,
            request=request,
        )
        publish(
            organization_id=alert.organization_id,
            topic="alerts",
            event="alert_acknowledged",
            payload={
                "alertId": str(alert.pk),
                "acknowledgedBy": getattr(actor, "email", None),
                "timestamp": alert.acknowledged_at.isoformat(),
            },
        )
    return alert


def alert_resolve(*, alert: Alert, actor: Any, notes: str = "", request: Any = None) -> Alert:
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("The alert is already resolved.")
    previous = alert.status
    with transaction.atomic():
        alert.status = AlertStatus.RESOLVED
        alert.resolved_by = actor
        alert.resolved_at = timezone.now()
        alert.resolution_notes = notes
        alert.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_notes", "updated_at"])
        audit_record(
            actor=actor,
            action="RESOLVE",
            resource_type="Alert",
            resource_id=alert.pk,
            changes={**audit_changes({"status": previous}, {"status": AlertStatus.RESOLVED}), "notes": notes},
            organization_id=alert.organization_id,
            request=request,
        )
        _publish(alert)
    return alert
