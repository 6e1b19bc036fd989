"""The one alert lifecycle: raise -> acknowledge -> resolve, audited and published."""

from __future__ import annotations

import pytest

from custos.alerts import services
from custos.alerts.models import Alert
from custos.audit.models import AuditLog
from custos.kernel.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "publish", lambda **kwargs: calls.append(kwargs))
    return calls


def _raise(org):
    return services.alert_raise(
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
    services.alert_acknowledge(alert=alert, actor=adam)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", adam)
    services.alert_acknowledge(alert=alert, actor=adam)  # twice is harmless
    services.alert_resolve(alert=alert, actor=adam, notes="fan replaced")
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_notes, alert.is_resolved) == ("resolved", "fan replaced", True)
    assert list(AuditLog.objects.order_by("sequence").values_list("action", flat=True)) == [
        "CREATE",
        "ACKNOWLEDGE",
        "RESOLVE",
    ]
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
    services.alert_resolve(alert=alert, actor=adam)
    with pytest.raises(Conflict, match="already resolved"):
        services.alert_resolve(alert=alert, actor=adam)
    with pytest.raises(Conflict, match="cannot be acknowledged"):
        services.alert_acknowledge(alert=alert, actor=adam)
    assert Alert.objects.get().status == "resolved"
    assert AuditLog.objects.count() == 2
