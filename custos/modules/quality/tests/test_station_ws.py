"""``/ws/sensors/``: a station's frames, acks, validation errors, rate limit, resends, stored rows."""

from __future__ import annotations

import json

import pytest

from custos.alerts.models import Alert
from custos.devices.models import Device
from custos.modules.quality.models import QualitySample
from custos.modules.quality.services import decode_bins
from custos.modules.quality.tests.helpers import connect, frame, run

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(token: str):
    socket, connected, _ = await connect(f"/ws/sensors/?token={token}")
    assert connected
    first = await socket.receive_json()
    assert first["type"] == "connection_established"
    assert first["device_id"] == "SQAL_001"
    return socket


async def _exchange(token: str, *messages):
    socket = await _open(token)
    replies = []
    for message in messages:
        if isinstance(message, str):
            await socket.send_text(message)
        else:
            await socket.send_json(message)
        replies.append(await socket.receive_json())
    await socket.disconnect()
    return replies


@pytest.mark.parametrize("query", ["", "?token=", "?token=dvt_not-a-token"])
def test_handshake_is_refused_without_a_valid_device_token(station, query):
    async def scenario():
        _socket, connected, code = await connect(f"/ws/sensors/{query}")
        return connected, code

    assert run(scenario) == (False, 4401)


def test_a_user_access_token_is_not_a_device_token(station, alice, token_for):
    access = token_for(alice)

    async def scenario():
        return (await connect(f"/ws/sensors/?token={access}"))[1]

    assert run(scenario) is False


def test_hello_ping_heartbeat(station):
    device, token = station
    hello = {
        "type": "esp32_hello",
        "device_id": "SQAL_001",
        "mac_address": "AA:BB:CC:DD:EE:FF",
        "location": "Line 2",
        "ip_address": "10.0.0.7",
        "firmware_version": "1.4.0",
        "sensors": {"vl53l8ch": True, "as7341": True},
    }
    heartbeat = {"type": "heartbeat", "device_id": "SQAL_001", "status": "warning", "uptime": 3600, "stats": {"n": 5}}
    ack, pong, beat, unknown = run(_exchange, token, hello, {"type": "ping"}, heartbeat, {"type": "dance"})
    assert ack["type"] == "hello_ack"
    assert ack["device_id"] == "SQAL_001"
    assert ack["rate_limit_per_minute"] == 100
    assert pong["type"] == "pong"
    assert beat["type"] == "heartbeat_ack"
    assert unknown["type"] == "error"
    device = Device.objects.get(pk=device.pk)
    assert device.location == "Line 2"
    assert device.metadata["mac_address"] == "AA:BB:CC:DD:EE:FF"
    assert device.metadata["firmware_version"] == "1.4.0"
    assert device.metadata["sensors"] == {"vl53l8ch": True, "as7341": True}
    assert device.metadata["heartbeat"]["uptime"] == 3600
    assert device.status == "warning"
    assert device.last_seen is not None


def test_sensor_data_is_stored_analysed_and_acked_with_the_servers_grade(station, org_a):
    device, token = station
    bins = [[[(r + c + b) % 7 for b in range(128)] for c in range(8)] for r in range(8)]
    body = frame(vl53l8ch_raw={"bins_matrix": bins})
    (ack,) = run(_exchange, token, body)
    sample = QualitySample.objects.get()
    assert ack == {
        "type": "ack",
        "sample_id": "S-0001",
        "status": "saved",
        "duplicate": False,
        "fusion_score": 1.0,
        "fusion_grade": "A+",
        "certification_hash": sample.certification_hash,
    }
    assert sample.organization_id == org_a.id
    assert sample.device_id == device.pk
    assert (sample.tof_score, sample.spectral_score, sample.grade) == (1.0, 1.0, "A+")
    assert sample.avg_height_mm == 50.0
    # the device said C / 0.3: kept for comparison only
    assert sample.device_results["fusion"] == {"final_score": 0.3, "final_grade": "C"}
    assert sample.device_results["vl53l8ch"]["grade"] == "C"
    assert sample.device_results["defects"] == [
        {"type": "bruise"},
        {"type": "hematoma", "severity": "high", "pos": [1, 2]},
    ]
    assert "unknown_key" not in sample.meta
    assert (sample.lot_abattage, sample.eleveur, sample.provenance) == ("LOT-42", "Ferme Dupont", "Landes")
    assert isinstance(sample.bins, (bytes, memoryview))
    assert len(bytes(sample.bins)) < 8 * 8 * 128 * 4
    assert decode_bins(sample.bins).tolist() == bins
    assert not Alert.objects.exists()  # A+: no alert


def test_upper_case_keys_and_missing_optional_matrices(station):
    _, token = station
    body = frame("S-UP")
    body["VL53L8CH"] = {"DISTANCE_MATRIX": body.pop("vl53l8ch")["distance_matrix"], "Reference_Distance_mm": 100}
    body["AS7341"] = {"CHANNELS": {k.lower(): v for k, v in body.pop("as7341")["channels"].items()}}
    (ack,) = run(_exchange, token, body)
    assert ack["type"] == "ack"
    assert ack["fusion_grade"] == "A+"
    sample = QualitySample.objects.get(sample_id="S-UP")
    assert sample.reflectance_matrix is None
    assert sample.bins is None


def test_a_resend_stores_nothing_new_and_acks_the_stored_result(station):
    _, token = station
    first, again = run(_exchange, token, frame(), frame(height=30.0))
    assert QualitySample.objects.count() == 1
    assert again["duplicate"] is True
    assert {k: v for k, v in again.items() if k != "duplicate"} == {k: v for k, v in first.items() if k != "duplicate"}
    assert QualitySample.objects.get().avg_height_mm == 50.0


def test_a_low_grade_raises_one_quality_alert(station, org_a):
    _, token = station
    (ack,) = run(_exchange, token, frame("S-LOW", height=30.0))
    assert ack["fusion_grade"] == "REJECT"
    alert = Alert.objects.get()
    assert (alert.organization_id, alert.source, alert.alert_type, alert.severity) == (
        org_a.id,
        "quality",
        "grade",
        "high",
    )
    assert alert.data["rules"] == ["grade", "height_deviation"]
    assert alert.subject_id == str(QualitySample.objects.get().pk)


def _without(key_path):
    body = frame("S-BAD")
    block, _, key = key_path.partition(".")
    if key:
        del body[block][key]
    else:
        del body[block]
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_without("vl53l8ch"), "vl53l8ch"),
        (_without("as7341"), "as7341"),
        (_without("vl53l8ch.distance_matrix"), "vl53l8ch.distance_matrix"),
        (_without("as7341.channels"), "as7341.channels"),
        (frame("S-BAD", vl53l8ch={"distance_matrix": [[50] * 8] * 7}), "vl53l8ch.distance_matrix"),
        (frame("S-BAD", vl53l8ch={"distance_matrix": [[50] * 8] * 7 + [[50] * 7]}), "vl53l8ch.distance_matrix"),
        (frame("S-BAD", vl53l8ch={"distance_matrix": [["x"] * 8] * 8}), "vl53l8ch.distance_matrix"),
        (frame("S-BAD", vl53l8ch={"distance_matrix": [[-5] * 8] * 8}), "vl53l8ch.distance_matrix"),
        (frame("S-BAD", vl53l8ch={"distance_matrix": [[5000] * 8] * 8}), "vl53l8ch.distance_matrix"),
        (frame("S-BAD", channels={"F1_415nm": 70000}), "as7341.channels.F1_415nm"),
        (frame("S-BAD", defects=[42]), "defects[0]"),
        (frame("S-BAD", timestamp="yesterday"), "timestamp"),
        (frame("S-BAD", device_id="SOMEONE_ELSE"), "device_id"),
    ],
)
def test_invalid_frames_get_a_validation_error_and_store_nothing(station, body, field):
    _, token = station
    (reply,) = run(_exchange, token, body)
    assert reply["type"] == "validation_error"
    assert reply["sample_id"] == "S-BAD"
    assert field in [error["field"] for error in reply["errors"]]
    assert not QualitySample.objects.exists()


def test_missing_sample_id_and_non_json(station):
    _, token = station
    body = frame()
    del body["sample_id"]
    reply, garbage = run(_exchange, token, body, "not json{")
    assert reply == {
        "type": "validation_error",
        "sample_id": None,
        "errors": [{"field": "sample_id", "message": "Required."}],
    }
    assert garbage["type"] == "error"


def test_oversize_frames_are_refused_with_the_limit(station, settings):
    settings.QUALITY_WS_MAX_FRAME_BYTES = 4096
    _, token = station
    big = frame(meta={"padding": "x" * 5000})
    assert len(json.dumps(big)) > 4096
    reply, pong = run(_exchange, token, big, {"type": "ping"})
    assert reply["type"] == "validation_error"
    assert reply["max_frame_bytes"] == 4096
    assert reply["errors"][0]["field"] == "frame"
    assert pong["type"] == "pong", "the connection stays open"
    assert not QualitySample.objects.exists()


def test_a_typical_140_kb_frame_is_accepted(station):
    _, token = station
    bins = [[[1000 + b for b in range(128)] for _ in range(8)] for _ in range(8)]
    body = frame(vl53l8ch_raw={"bins_matrix": bins}, as7341_raw={"history": [[12345.678] * 10] * 900})
    assert 100_000 < len(json.dumps(body)) < 200_000
    (ack,) = run(_exchange, token, body)
    assert ack["type"] == "ack"


def test_a_flood_past_the_rate_limit_is_refused(station, settings):
    settings.QUALITY_WS_RATE_LIMIT = 5
    _, token = station
    replies = run(_exchange, token, *[{"type": "ping"}] * 5, frame("S-FLOOD"), {"type": "ping"})
    assert [r["type"] for r in replies] == ["pong"] * 5 + ["rate_limit_exceeded"] * 2
    assert 1 <= replies[5]["retry_after_seconds"] <= 60
    assert not QualitySample.objects.exists()


def test_samples_go_to_the_devices_organization_only(station, helios_station, org_a, org_b):
    _, token_a = station
    _, token_b = helios_station
    run(_exchange, token_a, frame("S-1"))
    run(_exchange, token_b, frame("S-1"))
    assert QualitySample.objects.filter(organization=org_a).count() == 1
    assert QualitySample.objects.filter(organization=org_b).count() == 1
    assert {s.device.organization_id for s in QualitySample.objects.filter(organization=org_b)} == {org_b.id}
