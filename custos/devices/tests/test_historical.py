"""``GET /api/historical_data``: a device's series, raw or in SQL time buckets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.devices.models import Reading

pytestmark = pytest.mark.django_db


def _z(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _store(device, moment, value, metric="value"):
    Reading.objects.create(
        device=device, organization_id=device.organization_id, timestamp=moment, metric=metric, value=value
    )


@pytest.fixture
def hour():
    """The start of the hour three hours ago (bucket boundaries are whole hours in UTC)."""
    return (timezone.now() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def test_raw_series_in_the_documents_shape(alice, boiler, client_for, hour):
    _store(boiler, hour + timedelta(minutes=5), 75.1)
    _store(boiler, hour + timedelta(minutes=10), 75.3)
    _store(boiler, hour - timedelta(hours=30), 60.0)  # older than the window
    _store(boiler, hour + timedelta(minutes=7), 1.0, metric="rpm")  # another metric
    response = client_for(alice).get("/api/historical_data", {"device_id": "DEVICE_001"})
    assert response.status_code == 200
    assert response.json() == {
        "device_id": "DEVICE_001",
        "metric": "value",
        "unit": "°C",
        "timestamps": [_z(hour + timedelta(minutes=5)), _z(hour + timedelta(minutes=10))],
        "values": [75.1, 75.3],
    }


def test_hours_metric_and_limit(alice, boiler, client_for, hour):
    for minutes, value in ((5, 1.0), (10, 2.0), (15, 3.0)):
        _store(boiler, hour + timedelta(minutes=minutes), value, metric="rpm")
    _store(boiler, hour - timedelta(hours=30), 9.0, metric="rpm")
    client = client_for(alice)
    body = client.get("/api/historical_data", {"device_id": "DEVICE_001", "metric": "rpm", "limit": 2}).json()
    assert (body["metric"], body["values"]) == ("rpm", [2.0, 3.0])  # the newest two, oldest first
    wide = client.get("/api/historical_data", {"device_id": "DEVICE_001", "metric": "rpm", "hours": 48}).json()
    assert wide["values"] == [9.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("agg", "values"),
    [("avg", [2.0, 10.0]), ("min", [1.0, 10.0]), ("max", [3.0, 10.0]), ("sum", [4.0, 10.0]), ("count", [2, 1])],
)
def test_buckets_are_computed_in_sql(alice, boiler, client_for, hour, agg, values):
    _store(boiler, hour + timedelta(minutes=5), 1.0)
    _store(boiler, hour + timedelta(minutes=55, seconds=59), 3.0)
    _store(boiler, hour + timedelta(hours=2, minutes=1), 10.0)  # the hour between has no data: no bucket
    response = client_for(alice).get("/api/historical_data", {"device_id": "DEVICE_001", "interval": "1h", "agg": agg})
    assert response.status_code == 200
    assert response.json() == {
        "device_id": "DEVICE_001",
        "metric": "value",
        "unit": "°C",
        "timestamps": [_z(hour), _z(hour + timedelta(hours=2))],
        "values": values,
        "interval": 3600,
        "agg": agg,
    }


def test_interval_in_seconds_and_limit_of_buckets(alice, boiler, client_for, hour):
    for minutes in (1, 6, 11):
        _store(boiler, hour + timedelta(minutes=minutes), float(minutes))
    body = (
        client_for(alice)
        .get("/api/historical_data", {"device_id": "DEVICE_001", "interval": "300", "agg": "max", "limit": 2})
        .json()
    )
    assert body["timestamps"] == [_z(hour + timedelta(minutes=5)), _z(hour + timedelta(minutes=10))]
    assert body["values"] == [6.0, 11.0]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"device_id": "DEVICE_001", "agg": "median"},
        {"device_id": "DEVICE_001", "interval": "fortnight"},
        {"device_id": "DEVICE_001", "interval": "0"},
        {"device_id": "DEVICE_001", "hours": 0},
        {"device_id": "DEVICE_001", "limit": 10_001},
        {"device_id": "DEVICE_001", "metric": "a b"},
    ],
)
def test_bad_parameters_are_400(alice, boiler, client_for, params):
    response = client_for(alice).get("/api/historical_data", params)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message", "details"}


def test_another_organizations_device_is_404_and_its_readings_never_counted(
    alice, boiler, helios_boiler, helios_meter, client_for, hour
):
    _store(helios_boiler, hour, 99.0)  # same key, other organization
    _store(helios_meter, hour, 5.0)
    client = client_for(alice)
    assert client.get("/api/historical_data", {"device_id": "METER_9"}).status_code == 404
    mine = client.get("/api/historical_data", {"device_id": "DEVICE_001", "interval": "1h", "agg": "count"}).json()
    assert (mine["timestamps"], mine["values"]) == ([], [])
    assert client.get("/api/devices/DEVICE_001").json()["value"] is None
