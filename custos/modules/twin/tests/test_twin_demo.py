"""``custos demo``'s twin fleet: what it stores is known by construction, and a second run adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count

from custos.alerts.models import Alert
from custos.devices.models import Device, DeviceEvent, Reading
from custos.kernel.demo import demo_loaders
from custos.ml.models import MLModel
from custos.modules.twin import demo
from custos.modules.twin.models import HealthRecord
from custos.orgs.tests.factories import organization

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 14, 37, 12, tzinfo=UTC)
END = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)  # NOW floored to the ten minutes
PER_DEVICE = 5 * 24 * 6  # five days every ten minutes
SILENCED = 4 * 6  # readings a failure silences


def _counts(org):
    return {
        "devices": Device.objects.filter(organization=org).count(),
        "readings": Reading.objects.filter(organization=org).count(),
        "events": sorted(DeviceEvent.objects.filter(organization=org).values_list("event_type", flat=True)),
        "models": sorted(
            MLModel.objects.filter(organization=org, is_active=True).values_list("task", "scope", "version")
        ),
        "health_records": HealthRecord.objects.filter(organization=org).count(),
        "alerts": Alert.objects.filter(organization=org, source="twin").count(),
    }


def test_the_fleet_loads_once_with_exact_counts():
    org = organization(name="Northwind Energy", slug=demo.ORGANIZATION_SLUG)
    assert "twin-fleet" in [loader.name for loader in demo_loaders()]

    summary = demo.load_twin_fleet(now=NOW)
    first = _counts(org)
    types = ("humidity_sensor", "power_meter", "pressure_sensor", "temperature_sensor", "vibration_sensor")
    assert first == {
        "devices": 25,
        "readings": 25 * PER_DEVICE - 3 * SILENCED,
        "events": ["failure"] * 3 + ["maintenance"] * 25 + ["repair"] * 3,
        "models": sorted([("twin.anomaly", t, 1) for t in types] + [("twin.failure", "", 1)]),
        "health_records": 25 * 8,  # every three hours over the last day
        "alerts": first["alerts"],
    }
    assert summary == f"25 devices, {25 * PER_DEVICE - 3 * SILENCED} readings, 31 events, 6 trained models"
    assert dict(
        Device.objects.filter(organization=org)
        .values("device_type")
        .annotate(n=Count("id"))
        .values_list("device_type", "n")
    ) == dict.fromkeys(types, 5)

    # The readings went through the ingest service: last_seen moved, the newest reading is END.
    pump = Device.objects.get(organization=org, device_id="PRES_003")
    assert pump.last_seen is not None and pump.status == "normal"
    assert Reading.objects.filter(device=pump).latest("timestamp").timestamp == END

    # The failure silenced its device for four hours after the failure event, and a repair closes it.
    first_reading = END - timedelta(minutes=10 * (PER_DEVICE - 1))
    failure_at = first_reading + timedelta(hours=demo.FAILURES["PRES_003"])
    assert DeviceEvent.objects.get(device=pump, event_type="failure").timestamp == failure_at
    assert DeviceEvent.objects.get(device=pump, event_type="repair").timestamp == failure_at + timedelta(hours=4)
    silent = Reading.objects.filter(
        device=pump, timestamp__gt=failure_at, timestamp__lte=failure_at + timedelta(hours=4)
    )
    assert silent.count() == 0
    assert Reading.objects.filter(device=pump).count() == PER_DEVICE - SILENCED

    # The default alarm rules ran on ingest: the overheated boiler's alarm was raised and cleared, the
    # one running hot now has its alarm active; no other device reached 80 °C.
    warnings = {
        (alert.subject_id, alert.status == "resolved")
        for alert in Alert.objects.filter(organization=org, source="twin", alert_type="temperature_warning")
    }
    assert warnings == {("TEMP_004", True), ("TEMP_005", False)}
    assert set(Alert.objects.filter(organization=org, source="twin").values_list("subject_id", flat=True)) == {
        "TEMP_004",
        "TEMP_005",
    }

    again = demo.load_twin_fleet(now=NOW + timedelta(days=1))
    assert again == "the fleet is loaded already: nothing added"
    assert _counts(org) == first


def test_the_generator_is_deterministic_and_injects_the_faults_it_names():
    one, two = demo.fleet(END), demo.fleet(END)
    assert [d.key for d in one] == demo.device_keys()
    for a, b in zip(one, two, strict=True):
        assert (a.times == b.times).all() and (a.values == b.values).all()
    by_key = {d.key: d for d in one}
    hot = by_key["TEMP_005"]
    assert (hot.values[hot.times > END.timestamp() - 3600] > 80).all()
    assert (hot.values[hot.times <= END.timestamp() - 3600] < 80).all()
