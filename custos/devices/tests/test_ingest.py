"""Reading ingestion: ``POST /api/devices/{device_id}/readings`` and ``POST /api/readings``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.db import IntegrityError
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.devices import services
from custos.devices.models import Device, IngestReplay, Reading
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db

T0 = "2024-05-01T12:00:00Z"
T1 = "2024-05-01T12:01:00Z"


def _stored():
    return sorted(
        (r.device.device_id, r.timestamp.isoformat(), r.metric, r.value)
        for r in Reading.objects.select_related("device")
    )


def test_json_array_is_stored_and_answers_accepted(alice, boiler, client_for):
    boiler.status = "offline"
    boiler.save(update_fields=["status"])
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings",
        [{"timestamp": T0, "value": 75.5}, {"timestamp": T1, "value": 3, "metric": "rpm"}],
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {"accepted": 2}
    assert _stored() == [
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 75.5),
        ("DEVICE_001", "2024-05-01T12:01:00+00:00", "rpm", 3.0),
    ]
    assert {r.organization_id for r in Reading.objects.all()} == {boiler.organization_id}
    boiler.refresh_from_db()
    assert boiler.last_seen is not None and timezone.now() - boiler.last_seen < timedelta(minutes=1)
    assert boiler.status == "normal"  # a device that reports is no longer offline


def test_readings_object_epoch_and_offsets(alice, boiler, client_for):
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings",
        {"readings": [{"timestamp": 1714564800, "value": 1.5}, {"timestamp": "2024-05-01T14:00:00+02:00", "value": 2}]},
        format="json",
    )
    assert response.status_code == 201
    assert _stored() == [
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 1.5),
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 2.0),
    ]


def test_csv_with_and_without_header(alice, boiler, client_for):
    client = client_for(alice)
    plain = client.post("/api/devices/DEVICE_001/readings", f"{T0},1.5\n{T1},2.5,rpm\n", content_type="text/csv")
    assert (plain.status_code, plain.json()) == (201, {"accepted": 2})
    headed = client.post(
        "/api/devices/DEVICE_001/readings", f"metric,timestamp,value\nflow,{T0},7\n", content_type="text/csv"
    )
    assert (headed.status_code, headed.json()) == (201, {"accepted": 1})
    assert _stored() == [
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "flow", 7.0),
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 1.5),
        ("DEVICE_001", "2024-05-01T12:01:00+00:00", "rpm", 2.5),
    ]


def test_batch_route_stores_several_devices(amir, boiler, pump, client_for):
    response = client_for(amir).post(
        "/api/readings",
        [
            {"device_id": "DEVICE_001", "timestamp": T0, "value": 70},
            {"device_id": "PUMP_7", "timestamp": T0, "value": 2.1, "metric": "pressure"},
            {"device_id": "PUMP_7", "timestamp": T1, "value": 2.2, "metric": "pressure"},
        ],
        format="json",
    )
    assert (response.status_code, response.json()) == (201, {"accepted": 3})
    assert _stored() == [
        ("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 70.0),
        ("PUMP_7", "2024-05-01T12:00:00+00:00", "pressure", 2.1),
        ("PUMP_7", "2024-05-01T12:01:00+00:00", "pressure", 2.2),
    ]
    assert set(Device.objects.filter(last_seen__isnull=False).values_list("device_id", flat=True)) == {
        "DEVICE_001",
        "PUMP_7",
    }


def test_batch_csv(alice, boiler, pump, client_for):
    response = client_for(alice).post(
        "/api/readings", f"DEVICE_001,{T0},1\nPUMP_7,{T0},2,pressure\n", content_type="text/csv"
    )
    assert (response.status_code, response.json()) == (201, {"accepted": 2})


def test_ingestion_writes_no_audit_rows(alice, boiler, client_for):
    client_for(alice).post("/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json")
    assert Reading.objects.count() == 1
    assert not AuditLog.objects.exists()


FUTURE = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()

BAD_ROWS = [
    ({"device_id": "GHOST", "timestamp": T0, "value": 1}, "device_id: unknown device 'GHOST'"),
    ({"timestamp": T0, "value": 1}, "device_id: missing"),
    ({"device_id": "DEVICE_001", "value": 1}, "timestamp: missing"),
    ({"device_id": "DEVICE_001", "timestamp": T0}, "value: missing"),
    ({"device_id": "DEVICE_001", "timestamp": T0, "value": "12"}, "value: must be a number, not str"),
    ({"device_id": "DEVICE_001", "timestamp": T0, "value": True}, "value: must be a number, not bool"),
    ({"device_id": "DEVICE_001", "timestamp": T0, "value": None}, "value: must be a number, not NoneType"),
    ({"device_id": "DEVICE_001", "timestamp": "yesterday", "value": 1}, "timestamp: not an ISO 8601 date-time"),
    (
        {"device_id": "DEVICE_001", "timestamp": [1], "value": 1},
        "timestamp: must be an ISO 8601 string or epoch seconds, not list",
    ),
    ({"device_id": "DEVICE_001", "timestamp": 1e20, "value": 1}, "timestamp: out of range"),
    ({"device_id": "DEVICE_001", "timestamp": FUTURE, "value": 1}, "timestamp: more than 5 minutes in the future"),
    (
        {"device_id": "DEVICE_001", "timestamp": T0, "value": 1, "metric": "a b"},
        "metric: letters, digits, '_', '-' or '.' (at most 64)",
    ),
    ("not an object", "must be an object, not str"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
def test_a_bad_row_refuses_the_whole_batch(alice, boiler, client_for, row, reason):
    good = {"device_id": "DEVICE_001", "timestamp": T0, "value": 1.0}
    response = client_for(alice).post("/api/readings", [good, row, good], format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "Bad request",
        "message": "1 of 3 readings are invalid; none were stored.",
        "rejected": 1,
        "errors": [{"index": 1, "reason": reason}],
    }
    assert not Reading.objects.exists()
    boiler.refresh_from_db()
    assert boiler.last_seen is None


def test_every_bad_row_is_listed_with_its_index(alice, boiler, client_for):
    rows = [
        {"timestamp": T0, "value": 1},
        {"timestamp": T0, "value": "x"},
        {"timestamp": T0, "value": 2},
        {"value": 3},
    ]
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", rows, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"index": 1, "reason": "value: must be a number, not str"},
        {"index": 3, "reason": "timestamp: missing"},
    ]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("nan", "value: NaN and Infinity are not allowed"),
        ("inf", "value: NaN and Infinity are not allowed"),
        ("-Infinity", "value: NaN and Infinity are not allowed"),
        ("twelve", "value: must be a number, not str"),
    ],
)
def test_csv_non_finite_and_non_numbers_are_refused(alice, boiler, client_for, cell, reason):
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings", f"{T0},1\n{T1},{cell}\n", content_type="text/csv"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 1, "reason": reason}]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'[{"timestamp": "2024-05-01T12:00:00Z", "value": NaN}]',
        b'[{"timestamp": "2024-05-01T12:00:00Z", "value": 1e999}]',
    ],
)
def test_json_nan_and_infinity_are_refused(alice, boiler, client_for, body):
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "Bad request"
    assert not Reading.objects.exists()


def test_malformed_csv_is_refused(alice, boiler, client_for):
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings", f"{T0}\n{T1},1,value,extra\n", content_type="text/csv"
    )
    assert response.status_code == 400
    assert "row 0: 1 columns" in response.json()["message"]
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("hello", "text/plain", 415),
        ("timestamp=1&value=2", "application/x-www-form-urlencoded", 415),
        (b"{}", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"readings": 5}', "application/json", 400),
        (b'{"value": 5}', "application/json", 400),
        (b"[1, 2", "application/json", 400),
    ],
)
def test_wrong_content_type_or_shape_is_refused(alice, boiler, client_for, body, content_type, status):
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", body, content_type=content_type)
    assert response.status_code == status
    assert set(response.json()) >= {"error", "message"}
    assert not Reading.objects.exists()


def test_more_rows_than_the_cap_is_413(alice, boiler, client_for):
    rows = [{"timestamp": T0, "value": 1}] * (services.max_batch_rows() + 1)
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings", orjson.dumps(rows), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json() == {"error": "Payload too large", "message": "10001 readings in one request; at most 10000."}
    assert not Reading.objects.exists()


def test_a_body_beyond_the_byte_cap_is_413(alice, boiler, client_for, settings):
    settings.DEVICES_INGEST_MAX_BODY_BYTES = 100
    rows = [{"timestamp": T0, "value": 1}] * 5
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", rows, format="json")
    assert response.status_code == 413
    assert not Reading.objects.exists()


def test_viewers_cannot_ingest(vera, boiler, client_for):
    response = client_for(vera).post("/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json")
    assert response.status_code == 403
    assert not Reading.objects.exists()
    assert (
        client_for(vera)
        .post("/api/readings", [{"device_id": "DEVICE_001", "timestamp": T0, "value": 1}], format="json")
        .status_code
        == 403
    )


# --- devices writing their own readings ------------------------------------------------------------


def test_a_device_writes_its_own_readings(boiler, device_client):
    client = device_client(boiler)
    assert client.post("/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json").json() == {
        "accepted": 1
    }
    response = client.post("/api/readings", [{"device_id": "DEVICE_001", "timestamp": T1, "value": 2}], format="json")
    assert (response.status_code, response.json()) == (201, {"accepted": 1})
    assert Reading.objects.count() == 2
    assert not AuditLog.objects.filter(action__in=["CREATE", "UPDATE"], resource_type="Reading").exists()


def test_a_device_cannot_write_another_devices_readings(boiler, pump, device_client):
    client = device_client(boiler)
    assert (
        client.post("/api/devices/PUMP_7/readings", [{"timestamp": T0, "value": 1}], format="json").status_code == 404
    )
    response = client.post("/api/readings", [{"device_id": "PUMP_7", "timestamp": T0, "value": 1}], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"index": 0, "reason": "device_id: unknown device 'PUMP_7'"}]
    row = {"device_id": "PUMP_7", "timestamp": T0, "value": 1}
    mismatch = client.post("/api/devices/DEVICE_001/readings", [row], format="json")
    assert mismatch.json()["errors"] == [{"index": 0, "reason": "device_id: not the device of this route"}]
    assert not Reading.objects.exists()


def test_the_service_refuses_a_device_writing_for_another(boiler, pump):
    ctx = WriteContext(device=boiler, organization_id=boiler.organization_id)
    with pytest.raises(services.PermissionDenied):
        services.readings_ingest(ctx, device=pump, rows=[{"timestamp": T0, "value": 1}])
    assert not Reading.objects.exists()


# --- idempotency ------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer_and_stores_nothing_more(alice, boiler, client_for):
    client = client_for(alice)
    rows = [{"timestamp": T0, "value": 1}, {"timestamp": T1, "value": 2}]
    first = client.post("/api/devices/DEVICE_001/readings", rows, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    again = client.post("/api/devices/DEVICE_001/readings", rows, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert (first.status_code, first.json()) == (201, {"accepted": 2})
    assert (again.status_code, again.json()) == (201, {"accepted": 2})
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert Reading.objects.count() == 2
    assert IngestReplay.objects.count() == 1


def test_a_key_reused_for_another_body_is_422(alice, boiler, client_for):
    client = client_for(alice)
    client.post(
        "/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    response = client.post(
        "/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 9}], format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert response.json()["message"] == "This Idempotency-Key was used for a different request."
    assert list(Reading.objects.values_list("value", flat=True)) == [1.0]


def test_a_refused_batch_keeps_no_key(alice, boiler, client_for):
    client = client_for(alice)
    bad = client.post("/api/devices/DEVICE_001/readings", [{"timestamp": T0}], format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400
    assert not IngestReplay.objects.exists()
    fixed = client.post(
        "/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert fixed.status_code == 201
    assert Reading.objects.count() == 1


def test_keys_are_per_organization(alice, bob, boiler, helios_boiler, client_for):
    rows = [{"timestamp": T0, "value": 1}]
    for user in (alice, bob):
        response = client_for(user).post(
            "/api/devices/DEVICE_001/readings", rows, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response
    assert Reading.objects.filter(device=boiler).count() == 1
    assert Reading.objects.filter(device=helios_boiler).count() == 1


def test_a_racing_duplicate_meets_the_unique_key_and_replays(alice, boiler, monkeypatch):
    """Two requests with one key both pass the cheap look-up before either commits: the unique
    constraint makes the second replay the first answer, inserting nothing."""
    ctx = WriteContext.for_user(alice, organization_id=boiler.organization_id)
    rows = [{"timestamp": T0, "value": 1}]
    assert services.readings_ingest(ctx, device=boiler, rows=rows, idempotency_key="race").accepted == 1
    monkeypatch.setattr(services, "_known_replay", lambda **kwargs: None)  # the look-up saw nothing yet
    result = services.readings_ingest(ctx, device=boiler, rows=rows, idempotency_key="race")
    assert (result.replayed, result.body) == (True, {"accepted": 1})
    assert Reading.objects.count() == 1
    assert IngestReplay.objects.count() == 1


def test_the_key_and_the_readings_commit_together(alice, boiler, monkeypatch):
    ctx = WriteContext.for_user(alice, organization_id=boiler.organization_id)

    def broken_insert(*args, **kwargs):
        raise IntegrityError("disk full")

    monkeypatch.setattr(services, "_insert_readings", broken_insert)
    with pytest.raises(IntegrityError):
        services.readings_ingest(ctx, device=boiler, rows=[{"timestamp": T0, "value": 1}], idempotency_key="k")
    assert not IngestReplay.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
def test_bad_idempotency_keys_are_400(alice, boiler, client_for, key):
    response = client_for(alice).post(
        "/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert not Reading.objects.exists()


# --- tenancy --------------------------------------------------------------------------------------


def test_another_organizations_device_is_404_and_never_written(alice, boiler, helios_meter, client_for):
    client = client_for(alice)
    response = client.post("/api/devices/METER_9/readings", [{"timestamp": T0, "value": 1}], format="json")
    assert response.status_code == 404
    batch = client.post("/api/readings", [{"device_id": "METER_9", "timestamp": T0, "value": 1}], format="json")
    assert batch.status_code == 400
    assert batch.json()["errors"] == [{"index": 0, "reason": "device_id: unknown device 'METER_9'"}]
    assert not Reading.objects.exists()
    helios_meter.refresh_from_db()
    assert helios_meter.last_seen is None


def test_a_foreign_device_token_cannot_reach_my_devices(boiler, helios_meter, device_client):
    client = device_client(helios_meter)
    assert (
        client.post("/api/devices/DEVICE_001/readings", [{"timestamp": T0, "value": 1}], format="json").status_code
        == 404
    )
    batch = client.post("/api/readings", [{"device_id": "DEVICE_001", "timestamp": T0, "value": 1}], format="json")
    assert batch.status_code == 400
    assert not Reading.objects.exists()


def test_csv_epoch_timestamps(alice, boiler, client_for):
    response = client_for(alice).post("/api/devices/DEVICE_001/readings", "1714564800,4.5\n", content_type="text/csv")
    assert (response.status_code, response.json()) == (201, {"accepted": 1})
    assert _stored() == [("DEVICE_001", "2024-05-01T12:00:00+00:00", "value", 4.5)]
