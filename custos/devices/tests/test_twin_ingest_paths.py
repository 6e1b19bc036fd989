"""Ingestion's two validation paths, the live-stream hook after commit, the replay window, and the two
ways ``/api/historical_data`` buckets (index ranges, or grouping by expression) giving one answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from custos.devices import selectors, services, tasks
from custos.devices.models import IngestReplay, Reading
from custos.events import streams
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _stored():
    return sorted((r.timestamp, r.metric, r.value) for r in Reading.objects.all())


def test_every_accepted_form_is_stored_as_its_value(alice, boiler, client_for):
    """The fast path (ISO string, float or int, known metric) and the field-by-field one (epoch seconds,
    naive times, a null or empty metric, a mapping the fast path does not take) store the same rows."""
    at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    rows = [
        {"timestamp": "2024-05-01T12:00:00Z", "value": 1.25},
        {"timestamp": "2024-05-01T14:00:00+02:00", "value": 2},  # an int, another offset
        {"timestamp": "2024-05-01T12:00:00", "value": 3.0},  # naive: UTC
        {"timestamp": 1714564800, "value": 4.0},  # epoch seconds
        {"timestamp": 1714564800.5, "value": 5.0, "metric": None},
        {"timestamp": "2024-05-01T12:00:00.250000Z", "value": -6.5, "metric": ""},
        {"timestamp": "2024-05-01T12:00:01Z", "value": 7, "metric": "rpm", "device_id": "DEVICE_001"},
    ]
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", rows, format="json")
    assert (response.status_code, response.json()) == (201, {"accepted": 7})
    assert _stored() == sorted(
        [
            (at, "value", 1.25),
            (at, "value", 2.0),
            (at, "value", 3.0),
            (at, "value", 4.0),
            (at + timedelta(milliseconds=500), "value", 5.0),
            (at + timedelta(milliseconds=250), "value", -6.5),
            (at + timedelta(seconds=1), "rpm", 7.0),
        ]
    )


def test_an_integer_beyond_float_range_is_refused_with_its_index(boiler):
    rows = [
        {"timestamp": "2024-05-01T12:00:00Z", "value": 1.0},
        {"timestamp": "2024-05-01T12:00:00Z", "value": 10**400},
    ]
    with pytest.raises(ValidationFailed) as refused:
        services.readings_ingest(WriteContext.system(organization_id=boiler.organization_id), device=boiler, rows=rows)
    assert refused.value.extra["errors"] == [{"index": 1, "reason": "value: out of range"}]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("field", "bad", "reason"),
    [
        ("metric", ["rpm"], "metric: letters, digits, '_', '-' or '.' (at most 64)"),
        ("metric", {"a": 1}, "metric: letters, digits, '_', '-' or '.' (at most 64)"),
        ("device_id", ["DEVICE_001"], "device_id: not the device of this route"),
        ("timestamp", "2024-13-01T00:00:00Z", "timestamp: not an ISO 8601 date-time"),
    ],
)
def test_unhashable_or_odd_fields_are_refused_not_crashed(alice, boiler, client_for, field, bad, reason):
    good = {"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", [good, {**good, field: bad}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "reason": reason}]
    assert not Reading.objects.exists()


# --- The live-stream hook -------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(
        streams, "readings_ingested", lambda organization_id, rows: calls.append((organization_id, rows))
    )
    return calls


def test_each_committed_batch_is_handed_to_the_live_streams(
    amir, boiler, pump, client_for, published, django_capture_on_commit_callbacks
):
    rows = [
        {"device_id": "PUMP_7", "timestamp": "2024-05-01T12:00:00Z", "value": 2.5, "metric": "pressure"},
        {"device_id": "DEVICE_001", "timestamp": "2024-05-01T12:01:00Z", "value": 70},
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(amir).post("/api/readings", rows, format="json")
    assert response.status_code == 201
    assert published == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert published == [
        (
            boiler.organization_id,
            [
                ("PUMP_7", datetime(2024, 5, 1, 12, 0, tzinfo=UTC), "pressure", 2.5),
                ("DEVICE_001", datetime(2024, 5, 1, 12, 1, tzinfo=UTC), "value", 70.0),
            ],
        )
    ]


def test_refused_and_replayed_batches_publish_nothing(
    alice, boiler, client_for, published, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    good = [{"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}]
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post("/api/devices/DEVICE_001/readings", [*good, {"value": 2}], format="json")
        first = client.post("/api/devices/DEVICE_001/readings", good, format="json", HTTP_IDEMPOTENCY_KEY="k1")
        replay = client.post("/api/devices/DEVICE_001/readings", good, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (bad.status_code, first.status_code, replay.status_code) == (400, 201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert len(published) == 1
    assert Reading.objects.count() == 1


def test_a_failing_hook_never_breaks_ingestion(
    alice, boiler, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    def explode(organization_id, rows):
        raise RuntimeError("socket layer down")

    monkeypatch.setattr(streams, "readings_ingested", explode)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            "/api/devices/DEVICE_001/readings", [{"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}], format="json"
        )
    assert (response.status_code, response.json()) == (201, {"accepted": 1})
    assert Reading.objects.count() == 1


# --- The replay window ----------------------------------------------------------------------------


def test_replays_older_than_the_window_are_pruned_by_the_periodic_task(org_a, org_b, settings):
    settings.DEVICES_IDEMPOTENCY_WINDOW_HOURS = 24
    now = timezone.now()
    for organization, key, age in ((org_a, "old", 25), (org_a, "edge", 23), (org_b, "older", 48), (org_b, "new", 0)):
        record = IngestReplay.objects.create(organization=organization, key=key, fingerprint="f", response={})
        IngestReplay.objects.filter(pk=record.pk).update(created_at=now - timedelta(hours=age))
    assert services.ingest_replays_prune(now=now) == 2
    assert sorted(IngestReplay.objects.values_list("key", flat=True)) == ["edge", "new"]
    assert services.ingest_replays_prune(now=now + timedelta(hours=2)) == 1  # "edge" is 25 hours old then
    result = tasks.evaluate_no_data_rules()
    assert result == {"raised": 0, "cleared": 0, "replays_pruned": 0}
    assert list(IngestReplay.objects.values_list("key", flat=True)) == ["new"]


def test_a_pruned_key_is_a_new_request_again(alice, boiler, client_for):
    client = client_for(alice)
    body = [{"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}]
    client.post("/api/devices/DEVICE_001/readings", body, format="json", HTTP_IDEMPOTENCY_KEY="daily")
    IngestReplay.objects.update(created_at=timezone.now() - timedelta(hours=30))
    assert services.ingest_replays_prune() == 1
    again = client.post("/api/devices/DEVICE_001/readings", body, format="json", HTTP_IDEMPOTENCY_KEY="daily")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Reading.objects.count() == 2


# --- Historical buckets: index ranges and grouping agree ------------------------------------------


def _reading(device, moment, value):
    Reading.objects.create(
        device=device, organization_id=device.organization_id, timestamp=moment, metric="value", value=value
    )


@pytest.mark.parametrize("agg", ["avg", "min", "max", "sum", "count"])
def test_index_ranges_and_grouping_give_the_same_buckets(boiler, monkeypatch, agg):
    now = datetime(2026, 3, 4, 10, 7, 30, tzinfo=UTC)
    since = now - timedelta(hours=2)  # 08:07:30, in the middle of the 08:00 bucket (900 s)
    readings = [
        (since - timedelta(seconds=1), 100.0),  # before the window: never counted
        (since, 1.0),  # the window's first instant: counted, in the 08:00 bucket
        (datetime(2026, 3, 4, 8, 14, 59, 999999, tzinfo=UTC), 2.0),  # the last microsecond of 08:00
        (datetime(2026, 3, 4, 8, 15, tzinfo=UTC), 4.0),  # exactly a boundary: the 08:15 bucket
        (datetime(2026, 3, 4, 8, 20, 0, 500000, tzinfo=UTC), 8.0),
        (datetime(2026, 3, 4, 9, 50, tzinfo=UTC), 16.0),  # 08:30 .. 09:45 hold nothing
        (now + timedelta(minutes=4), 32.0),  # a reading ahead of the clock (ingestion allows 5 min)
    ]
    for moment, value in readings:
        _reading(boiler, moment, value)
    expected_values = {
        "avg": [1.5, 6.0, 16.0, 32.0],
        "min": [1.0, 4.0, 16.0, 32.0],
        "max": [2.0, 8.0, 16.0, 32.0],
        "sum": [3.0, 12.0, 16.0, 32.0],
        "count": [2, 2, 1, 1],
    }[agg]
    expected_times = [
        datetime(2026, 3, 4, hour, minute, tzinfo=UTC) for hour, minute in ((8, 0), (8, 15), (9, 45), (10, 0))
    ]

    def series(limit=1000):
        return selectors.reading_series(device=boiler, hours=2, interval_seconds=900, agg=agg, limit=limit, now=now)

    ranged = series()
    assert (ranged.timestamps, ranged.values) == (expected_times, expected_values)
    newest_two = series(limit=2)
    assert (newest_two.timestamps, newest_two.values) == (expected_times[2:], expected_values[2:])
    monkeypatch.setattr(selectors, "MAX_RANGES", 0)  # force the grouping by expression
    grouped = series()
    assert (grouped.timestamps, grouped.values) == (expected_times, expected_values)


def test_a_device_without_readings_in_the_window_has_no_buckets(boiler):
    _reading(boiler, timezone.now() - timedelta(hours=30), 1.0)
    assert selectors.reading_series(device=boiler, hours=24, interval_seconds=60).timestamps == []


def test_the_ingest_service_keeps_its_signature(boiler):
    """MQTT calls the service as the API does."""
    result = services.readings_ingest(
        WriteContext.system(organization_id=boiler.organization_id),
        device=boiler,
        rows=[{"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}],
        idempotency_key=None,
    )
    assert (result.accepted, result.replayed, result.status_code, result.body) == (1, False, 201, {"accepted": 1})
