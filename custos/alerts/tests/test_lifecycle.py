"""The one alert lifecycle: raise -> acknowledge -> resolve, audited and published."""

from __future__ import annotations

import pytest

from custos.alerts import services
from custos.alerts.models import Alert
from custos.audit.models import AuditLog
from custos.events import services as events
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(events, "publish", lambda **kwargs: calls.append(kwargs))
    return calls


def _raise(org, ctx=None):
    return services.alert_raise(
        ctx or WriteContext.system(),
        organization_id=org.pk,
        source="twin",
        alert_type="temperature_high",
        severity="high",
        message="Temperature 97 C above 95 C for 60 s",
        subject_type="devices.Device",
        subject_id="DEVICE_001",
    )


def test_raise_acknowledge_resolve(org_a, adam, published):
    alert = _raise(org_a)
    assert (alert.status, alert.source, alert.organization_id) == ("open", "twin", org_a.pk)
    ctx = WriteContext.for_user(adam)
    services.alert_acknowledge(ctx, alert)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", adam)
    services.alert_acknowledge(ctx, alert)  # twice is harmless
    services.alert_resolve(ctx, alert, notes="fan replaced")
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_notes, alert.is_resolved) == ("resolved", "fan replaced", True)
    assert alert.resolved_by == adam
    rows = list(AuditLog.objects.order_by("sequence"))
    assert [(r.action, r.resource_type, r.actor_type, r.organization_id) for r in rows] == [
        ("CREATE", "Alert", "system", org_a.pk),
        ("ACKNOWLEDGE", "Alert", "user", org_a.pk),
        ("RESOLVE", "Alert", "user", org_a.pk),
    ]
    assert rows[0].changes == {"severity": "high", "subject": "devices.Device:DEVICE_001"}
    assert rows[2].changes["status"] == {"old": "acknowledged", "new": "resolved"}
    assert rows[2].changes["notes"] == "fan replaced"
    assert [(c["topic"], c["event"], c["organization_id"]) for c in published] == [
        ("alerts", "alert_update", org_a.pk),
        ("alerts", "alert_acknowledged", org_a.pk),
        ("alerts", "alert_update", org_a.pk),
    ]
    assert published[1]["payload"]["alertId"] == str(alert.pk)
    assert published[1]["payload"]["acknowledgedBy"] == "adam@northwind.example"
    assert published[2]["payload"]["status"] == "resolved"


def test_a_resolved_alert_is_final(org_a, adam, published):
    alert = _raise(org_a)
    ctx = WriteContext.for_user(adam)
    services.alert_resolve(ctx, alert)
    with pytest.raises(Conflict, match="already resolved"):
        services.alert_resolve(ctx, alert)
    with pytest.raises(Conflict, match="cannot be acknowledged"):
        services.alert_acknowledge(ctx, alert)
    assert Alert.objects.get().status == "resolved"
    assert AuditLog.objects.count() == 2


def test_another_organizations_member_cannot_acknowledge_or_resolve(org_a, bob, published):
    alert = _raise(org_a)
    published.clear()
    ctx = WriteContext.for_user(bob)
    with pytest.raises(PermissionDenied):
        services.alert_acknowledge(ctx, alert)
    with pytest.raises(PermissionDenied):
        services.alert_resolve(ctx, alert, notes="not mine")
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.resolved_by, alert.resolution_notes) == ("open", None, None, "")
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["CREATE"]
    assert published == []


def test_a_viewer_cannot_resolve_but_a_caller_that_checked_access_may(org_a, vera, published):
    alert = _raise(org_a)
    with pytest.raises(PermissionDenied):
        services.alert_resolve(WriteContext.for_user(vera), alert)
    assert Alert.objects.get().status == "open"
    services.alert_resolve(WriteContext.for_user(vera), alert, roles=None)
    assert Alert.objects.get().status == "resolved"
