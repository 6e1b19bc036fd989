"""Alarm rules: evaluated on ingest into the shared alert table, served as the twin's ``/api/alerts``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custos.alerts.models import Alert
from custos.audit.models import AuditLog
from custos.devices import rules
from custos.devices.models import AlertRule, AlertRuleState, Device
from custos.devices.services import readings_ingest
from custos.events import services as events
from custos.kernel.context import WriteContext
from custos.orgs.tests.factories import organization

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _ingest(device, points, metric=None):
    """Store ``(seconds after T0, value)`` points of ``device`` as one batch (as the device's organization)."""
    rows = [{"timestamp": _z(T0 + timedelta(seconds=s)), "value": v} for s, v in points]
    if metric:
        rows = [{**row, "metric": metric} for row in rows]
    return readings_ingest(WriteContext.system(organization_id=device.organization_id), device=device, rows=rows)


def _alarms(**filters):
    return list(Alert.objects.filter(source="twin", **filters).order_by("created_at"))


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(events, "publish", lambda **kwargs: calls.append(kwargs))
    return calls


# --- default rules --------------------------------------------------------------------------------


def test_every_new_organization_gets_the_default_rules(org_a):
    assert sorted(
        AlertRule.objects.filter(organization=org_a).values_list(
            "name", "metric", "operator", "threshold", "severity", "duration_seconds", "no_data_minutes", "enabled"
        )
    ) == [
        ("temperature_critical", "temperature", ">", 95.0, "critical", 60, None, True),
        ("temperature_warning", "temperature", ">", 80.0, "warning", 300, None, True),
        ("vibration_warning", "vibration", ">", 0.5, "warning", 180, None, True),
    ]
    assert rules.install_default_rules(organization_id=org_a.pk) == 0  # idempotent


# --- evaluation on ingest -------------------------------------------------------------------------


def test_85_for_299_seconds_raises_nothing_then_300_seconds_raises_one_warning(boiler, published):
    _ingest(boiler, [(0, 85.0), (120, 85.0), (240, 85.0), (299, 85.0)])
    assert _alarms() == []
    _ingest(boiler, [(300, 85.0)])
    [alarm] = _alarms()
    assert (alarm.severity, alarm.status, alarm.alert_type, alarm.subject_type, alarm.subject_id) == (
        "high",
        "open",
        "temperature_warning",
        "devices.Device",
        "DEVICE_001",
    )
    assert alarm.organization_id == boiler.organization_id
    assert alarm.data["triggered_at"] == _z(T0 + timedelta(seconds=300))
    assert alarm.data["breach_since"] == _z(T0)
    assert alarm.data["value"] == 85.0
    assert alarm.message == "Temperature 85 > 80 for 300 s on DEVICE_001 (warning)"
    assert [(c["topic"], c["event"], c["payload"]["id"]) for c in published] == [
        ("alerts", "alert_update", str(alarm.pk))
    ]
    assert AuditLog.objects.filter(resource_type="Alert", action="CREATE").count() == 1


def test_96_for_60_seconds_is_critical_only(boiler):
    _ingest(boiler, [(0, 96.0), (30, 96.0)])
    assert _alarms() == []
    _ingest(boiler, [(60, 96.0)])
    [alarm] = _alarms()
    assert (alarm.alert_type, alarm.severity) == ("temperature_critical", "critical")
    assert alarm.data["triggered_at"] == _z(T0 + timedelta(seconds=60))


def test_a_second_breach_while_active_keeps_one_alarm_and_dropping_below_clears_it(boiler, published):
    _ingest(boiler, [(0, 85.0), (300, 86.0)])
    _ingest(boiler, [(360, 90.0), (420, 88.0)])  # still breaching: the same alarm
    [alarm] = _alarms()
    assert alarm.status == "open"
    published.clear()
    _ingest(boiler, [(480, 70.0)])
    alarm.refresh_from_db()
    assert alarm.status == "resolved"
    assert alarm.resolution_notes == (
        f"Cleared automatically: temperature 70 at {_z(T0 + timedelta(seconds=480))} no longer > 80."
    )
    assert [(c["event"], c["payload"]["status"]) for c in published] == [("alert_update", "resolved")]
    state = AlertRuleState.objects.get(rule__name="temperature_warning", device=boiler)
    assert (state.breach_since, state.alert_id, state.last_timestamp) == (None, None, T0 + timedelta(seconds=480))
    # A new breach after the clear needs its full duration again, then is a new alarm.
    _ingest(boiler, [(540, 85.0), (839, 85.0)])
    assert len(_alarms()) == 1
    _ingest(boiler, [(840, 85.0)])
    assert [a.status for a in _alarms()] == ["resolved", "open"]


def test_a_batch_of_past_readings_raises_what_it_should_have_raised(boiler):
    # One batch: 85 for ten minutes, a dip, 85 again for six minutes.
    points = [(60 * i, 85.0) for i in range(11)] + [(660, 50.0)] + [(660 + 60 * i, 85.0) for i in range(1, 7)]
    _ingest(boiler, list(reversed(points)))  # the order within the batch does not matter
    alarms = _alarms()
    assert [(a.alert_type, a.status, a.data["triggered_at"]) for a in alarms] == [
        ("temperature_warning", "resolved", _z(T0 + timedelta(seconds=300))),
        ("temperature_warning", "open", _z(T0 + timedelta(seconds=1020))),
    ]


def test_the_rule_metric_also_reads_the_primary_value_of_its_sensor_type(org_a, boiler, pump):
    generic = Device.objects.create(organization=org_a, device_id="GEN_1", device_type="generic")
    _ingest(pump, [(0, 120.0), (400, 120.0)])  # a pressure sensor's value is not a temperature
    _ingest(generic, [(0, 120.0), (400, 120.0)])  # a generic device's value neither
    assert _alarms() == []
    _ingest(generic, [(0, 97.0), (60, 97.0)], metric="temperature")  # a named temperature metric is
    assert [(a.subject_id, a.alert_type) for a in _alarms()] == [("GEN_1", "temperature_critical")]


def test_disabled_rules_and_other_organizations_rules_are_not_evaluated(org_a, org_b, boiler, helios_boiler):
    AlertRule.objects.filter(organization=org_a).update(enabled=False)
    _ingest(boiler, [(0, 99.0), (400, 99.0)])
    assert _alarms() == []
    _ingest(helios_boiler, [(0, 99.0), (400, 99.0)])
    assert {(a.organization_id, a.alert_type) for a in _alarms()} == {
        (org_b.pk, "temperature_critical"),
        (org_b.pk, "temperature_warning"),
    }


def test_a_rule_on_one_device_with_another_operator(org_a, boiler, pump):
    AlertRule.objects.create(
        organization=org_a, name="low_pressure", metric="pressure", device=pump, operator="<", threshold=2.0,
        severity="critical", duration_seconds=0,
    )  # fmt: skip
    _ingest(pump, [(0, 2.0), (10, 1.5)])
    [alarm] = _alarms()
    assert (alarm.subject_id, alarm.alert_type, alarm.data["triggered_at"]) == (
        "PUMP_7",
        "low_pressure",
        _z(T0 + timedelta(seconds=10)),
    )


def test_no_data_rule_raises_then_clears(org_a, boiler):
    AlertRule.objects.create(
        organization=org_a, name="silent", device=boiler, severity="warning", no_data_minutes=10, threshold=None
    )
    now = boiler.created_at + timedelta(minutes=5)
    assert rules.evaluate_no_data(now=now) == {"raised": 0, "cleared": 0}
    now = boiler.created_at + timedelta(minutes=11)
    assert rules.evaluate_no_data(now=now) == {"raised": 1, "cleared": 0}
    assert rules.evaluate_no_data(now=now) == {"raised": 0, "cleared": 0}  # one alarm
    [alarm] = _alarms()
    assert (alarm.alert_type, alarm.message) == ("silent", "No data from DEVICE_001 for 11 minutes (warning)")
    Device.objects.filter(pk=boiler.pk).update(last_seen=now)
    assert rules.evaluate_no_data(now=now + timedelta(minutes=1)) == {"raised": 0, "cleared": 1}
    alarm.refresh_from_db()
    assert alarm.status == "resolved"


# --- GET /api/alerts and acknowledge ---------------------------------------------------------------


def test_alerts_list_is_the_twin_shape_filtered(alice, bob, boiler, helios_boiler, client_for):
    _ingest(boiler, [(0, 97.0), (300, 97.0)])  # critical at 60 s... raised at 300 s with the warning
    _ingest(helios_boiler, [(0, 97.0), (60, 97.0)])
    critical, warning = _alarms(organization=boiler.organization)
    response = client_for(alice).get("/api/alerts")
    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == [str(warning.pk), str(critical.pk)]  # newest first, own organization only
    assert body[0] == {
        "id": str(warning.pk),
        "device_id": "DEVICE_001",
        "rule_name": "temperature_warning",
        "severity": "warning",
        "message": "Temperature 97 > 80 for 300 s on DEVICE_001 (warning)",
        "timestamp": _z(T0 + timedelta(seconds=300)),
        "acknowledged": False,
        "resolved": False,
        "value": 97.0,
        "metadata": warning.data,
    }
    assert [a["id"] for a in client_for(alice).get("/api/alerts?severity=critical").json()] == [str(critical.pk)]
    assert [a["id"] for a in client_for(alice).get("/api/alerts?limit=1").json()] == [str(warning.pk)]
    assert client_for(alice).get("/api/alerts?acknowledged=true").json() == []
    assert len(client_for(bob).get("/api/alerts").json()) == 1


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "severity=high", "acknowledged=yes"])
def test_alerts_list_bad_query_is_400(alice, client_for, query):
    response = client_for(alice).get(f"/api/alerts?{query}")
    assert response.status_code == 400


def test_acknowledge_marks_it_and_pushes_the_event(alice, boiler, client_for, published):
    _ingest(boiler, [(0, 97.0), (60, 97.0)])
    [alarm] = _alarms()
    published.clear()
    response = client_for(alice).post(f"/api/alerts/acknowledge/{alarm.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Alert acknowledged"
    assert (body["alert"]["id"], body["alert"]["acknowledged"], body["alert"]["resolved"]) == (
        str(alarm.pk),
        True,
        False,
    )
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == ("acknowledged", alice)
    [event] = published
    assert (event["topic"], event["event"], event["payload"]["alertId"], event["payload"]["acknowledgedBy"]) == (
        "alerts",
        "alert_acknowledged",
        str(alarm.pk),
        "alice@northwind.example",
    )
    # An acknowledged alarm is still cleared by the readings.
    _ingest(boiler, [(120, 20.0)])
    alarm.refresh_from_db()
    assert alarm.status == "resolved"


def test_acknowledge_of_another_organizations_alarm_is_404_and_changes_nothing(bob, boiler, client_for):
    _ingest(boiler, [(0, 97.0), (60, 97.0)])
    [alarm] = _alarms()
    for path in (f"/api/alerts/acknowledge/{alarm.pk}", "/api/alerts/acknowledge/not-a-uuid"):
        assert client_for(bob).post(path).status_code == 404
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_at) == ("open", None)
    assert not AuditLog.objects.filter(resource_type="Alert", action="ACKNOWLEDGE").exists()


def test_acknowledge_by_a_viewer_is_403(vera, boiler, client_for):
    _ingest(boiler, [(0, 97.0), (60, 97.0)])
    [alarm] = _alarms()
    assert client_for(vera).post(f"/api/alerts/acknowledge/{alarm.pk}").status_code == 403
    alarm.refresh_from_db()
    assert alarm.status == "open"


# --- /api/alert-rules -----------------------------------------------------------------------------


def test_rule_crud_by_an_admin(adam, org_a, pump, client_for):
    client = client_for(adam)
    response = client.post(
        "/api/alert-rules",
        {"name": "pump_low", "metric": "pressure", "device": "PUMP_7", "operator": "<", "threshold": 1.5,
         "severity": "critical", "duration_seconds": 30},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    rule = AlertRule.objects.get(organization=org_a, name="pump_low")
    body = response.json()
    assert {k: body[k] for k in ("id", "device", "operator", "threshold", "severity", "duration_seconds")} == {
        "id": str(rule.pk),
        "device": "PUMP_7",
        "operator": "<",
        "threshold": 1.5,
        "severity": "critical",
        "duration_seconds": 30,
    }
    assert AuditLog.objects.filter(resource_type="AlertRule", action="CREATE", resource_id=str(rule.pk)).exists()
    assert len(client.get("/api/alert-rules").json()) == 4  # with the three defaults
    response = client.patch(f"/api/alert-rules/{rule.pk}", {"threshold": 1.0, "enabled": False}, format="json")
    assert response.status_code == 200
    rule.refresh_from_db()
    assert (rule.threshold, rule.enabled) == (1.0, False)
    assert client.delete(f"/api/alert-rules/{rule.pk}").status_code == 204
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_rule_write_by_a_member_is_403_and_creates_nothing(amir, org_a, client_for):
    body = {"name": "x", "metric": "temperature", "operator": ">", "threshold": 1, "severity": "warning"}
    assert client_for(amir).post("/api/alert-rules", body, format="json").status_code == 403
    assert not AlertRule.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"operator": "=>"},
        {"severity": "high"},
        {"threshold": None},
        {"duration_seconds": -1},
        {"device": "NOPE_1"},
        {"device": "DEVICE_001", "device_type": "temperature_sensor"},
        {"name": ""},
        {"metric": "bad metric"},
    ],
)
def test_rule_bad_input_is_400_and_creates_nothing(alice, boiler, client_for, change):
    body = {"name": "r1", "metric": "temperature", "operator": ">", "threshold": 70, "severity": "warning", **change}
    response = client_for(alice).post("/api/alert-rules", body, format="json")
    assert response.status_code == 400, response.content
    assert not AlertRule.objects.filter(name__in=["r1", ""]).exists()


def test_duplicate_rule_name_is_409(alice, org_a, client_for):
    body = {
        "name": "temperature_warning",
        "metric": "temperature",
        "operator": ">",
        "threshold": 1,
        "severity": "warning",
    }
    assert client_for(alice).post("/api/alert-rules", body, format="json").status_code == 409
    assert AlertRule.objects.filter(organization=org_a, name="temperature_warning").count() == 1


def test_another_organizations_rule_is_404_and_unchanged(bob, org_a, client_for):
    rule = AlertRule.objects.get(organization=org_a, name="temperature_warning")
    client = client_for(bob)
    assert client.get(f"/api/alert-rules/{rule.pk}").status_code == 404
    assert client.patch(f"/api/alert-rules/{rule.pk}", {"threshold": 1}, format="json").status_code == 404
    assert client.delete(f"/api/alert-rules/{rule.pk}").status_code == 404
    rule.refresh_from_db()
    assert rule.threshold == 80.0
    assert str(rule.pk) not in {r["id"] for r in client.get("/api/alert-rules").json()}


def test_deleting_a_rule_resolves_its_alarms(alice, boiler, client_for):
    _ingest(boiler, [(0, 97.0), (60, 97.0)])
    [alarm] = _alarms()
    rule = AlertRule.objects.get(organization=boiler.organization, name="temperature_critical")
    assert client_for(alice).delete(f"/api/alert-rules/{rule.pk}").status_code == 204
    alarm.refresh_from_db()
    assert (alarm.status, alarm.resolution_notes) == ("resolved", "Rule 'temperature_critical' was deleted.")


def test_a_new_organization_created_later_gets_defaults_too(db):
    later = organization(name="Later Ltd", slug="later")
    assert AlertRule.objects.filter(organization=later).count() == 3
