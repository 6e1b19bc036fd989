"""Recommendations (composite of notes.md) and the dashboard, from stored readings and scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.alerts.models import Alert
from custos.devices.models import Device
from custos.kernel.context import WriteContext
from custos.modules.twin import services
from custos.modules.twin.analytics.recommendations import composite
from custos.modules.twin.models import HealthRecord
from custos.modules.twin.tests.conftest import grid, make_device, record_event, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def moment():
    return timezone.now().replace(microsecond=0)


def test_rising_trend_and_overdue_maintenance_are_recommended(alice, client_for, org_a, moment, rng):
    device = make_device(org_a, "VIB_9", device_type="vibration_sensor")
    base = grid(moment, hours=144, step_minutes=30)  # six days of noise around 0.3
    values = [0.3 + 0.01 * float(x) for x in rng.normal(0, 1, len(base))]
    store(device, base, values)
    rising = grid(moment + timedelta(minutes=1), hours=24, step_minutes=30)  # plus a rising last day
    store(device, rising, [0.3 + 0.004 * i for i in range(len(rising))], metric="value")
    record_event(device, moment - timedelta(days=400), "maintenance")
    body = client_for(alice).get("/api/recommendations").json()
    titles = [item["title"] for item in body]
    assert "Vibration Sensor Trend Increasing" in titles
    assert "Maintenance Overdue" in titles
    assert [item["composite_score"] for item in body] == sorted(
        (item["composite_score"] for item in body), reverse=True
    )
    overdue = next(item for item in body if item["title"] == "Maintenance Overdue")
    assert overdue["urgency"] == 1.0  # maintenance component 0: 400 days against a 90-day interval
    assert overdue["composite_score"] == pytest.approx(
        round(composite(urgency=1.0, impact=0.6, feasibility=0.9, cost=0.5, risk_reduction=0.7), 4)
    )
    assert overdue["priority_level"] == "high"  # 0.775
    assert set(overdue) >= {"type", "priority_level", "title", "action", "urgency", "impact", "composite_score",
                            "timeframe", "source"}  # fmt: skip
    assert overdue["action"] == "Schedule maintenance for VIB_9"


def test_a_healthy_device_gets_no_recommendation(alice, client_for, org_a, moment, rng):
    device = make_device(org_a, "OK_1")
    times = grid(moment, hours=48, step_minutes=30)
    store(device, times, [20 + 0.1 * float(x) for x in rng.normal(0, 1, len(times))])
    record_event(device, moment - timedelta(days=5), "maintenance")
    assert client_for(alice).get("/api/recommendations").json() == []


def test_recommendations_never_include_another_organization(bob, client_for, org_a, moment):
    device = make_device(org_a, "OURS")
    store(device, [moment - timedelta(hours=1)], [1.0])
    assert client_for(bob).get("/api/recommendations").json() == []
    assert not HealthRecord.objects.exists()


def test_dashboard_figures_from_stored_data(alice, client_for, org_a, org_b, moment):
    meter = make_device(org_a, "METER_1", device_type="power_meter", unit="kW")
    sensor = make_device(org_a, "TEMP_1")
    make_device(org_a, "OLD_1")
    Device.objects.filter(pk=sensor.pk).update(status="warning")
    Device.objects.filter(device_id="OLD_1").update(status="offline")
    theirs = make_device(org_b, "THEIRS", device_type="power_meter")
    hour = moment.replace(minute=0, second=0) - timedelta(hours=1)
    store(meter, [hour + timedelta(minutes=10), hour + timedelta(minutes=20)], [10.0, 14.0])
    store(meter, [hour + timedelta(hours=1)], [20.0])  # the start of the current hour
    store(sensor, [moment - timedelta(hours=3)], [50.0])
    store(theirs, [hour + timedelta(minutes=30)], [1000.0])
    for device, score, efficiency in ((meter, 0.9, 0.8), (sensor, 0.5, 0.6)):
        Device.objects.filter(pk=device.pk).update(health_score=score, efficiency_score=efficiency)
        HealthRecord.objects.create(
            organization=org_a, device=device, computed_at=hour + timedelta(minutes=30), health_score=score,
            efficiency_score=efficiency, status="good", components={},
        )  # fmt: skip
    Alert.objects.create(organization=org_a, source="twin", alert_type="temperature_critical", severity="critical",
                         message="hot", subject_type="Device", subject_id="TEMP_1", data={"value": 98.2})  # fmt: skip
    Alert.objects.create(organization=org_b, source="twin", alert_type="x", message="theirs", subject_id="THEIRS")

    body = client_for(alice).get("/api/dashboard").json()
    assert body["totalDevices"] == 3
    assert body["activeDevices"] == 1  # only the meter has a reading within the last hour
    assert body["statusDistribution"] == {"normal": 1, "warning": 1, "critical": 0, "offline": 1}
    assert body["systemHealth"] == 70
    assert body["efficiency"] == 70
    assert body["energyUsage"] == 20.0
    assert body["energyCost"] == round(20.0 * 0.15, 2)
    assert [d["device_id"] for d in body["devices"]] == ["METER_1", "OLD_1", "TEMP_1"]
    assert [(a["device_id"], a["value"]) for a in body["alerts"]] == [("TEMP_1", 98.2)]
    assert body["performanceData"] == [
        {"timestamp": hour.isoformat().replace("+00:00", "Z"), "systemHealth": 70, "efficiency": 70,
         "energyUsage": 12.0},
        {"timestamp": (hour + timedelta(hours=1)).isoformat().replace("+00:00", "Z"), "systemHealth": None,
         "efficiency": None, "energyUsage": 20.0},
    ]  # fmt: skip


def test_dashboard_of_an_empty_organization(bob, client_for):
    body = client_for(bob).get("/api/dashboard").json()
    assert (body["totalDevices"], body["systemHealth"], body["performanceData"]) == (0, None, [])


def test_recommendations_rate_limit(alice, client_for, org_a):
    client = client_for(alice)
    codes = [client.get("/api/recommendations").status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_scores_stored_by_recommendations_on_demand(alice, client_for, org_a, moment):
    device = make_device(org_a, "D1")
    store(device, [moment - timedelta(hours=1)], [1.0])
    client_for(alice).get("/api/recommendations")
    assert HealthRecord.objects.filter(device=device).count() == 1
    services.health_scores_update(WriteContext.system(organization_id=org_a.pk), devices=[device])
    assert HealthRecord.objects.filter(device=device).count() == 2
