"""The frame path's cheap parts keep the protocol: a station's ``last_seen`` is written by its frames at most
once every ``DEVICES_LAST_SEEN_INTERVAL_SECONDS`` (``custos.devices.presence.SeenThrottle``), never for
another device, never by a refused frame; ``sensor_update`` keeps the documented shape and the QR code is
segno's PNG of the certification hash."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime

import pytest
import segno
from django.db import transaction

from custos.devices.models import Device
from custos.devices.presence import SeenThrottle
from custos.events.relay import poller
from custos.modules.quality.models import QualitySample
from custos.modules.quality.tests.helpers import connect, frame, run

pytestmark = pytest.mark.django_db(transaction=True)

EARLIER = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 1, 8, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _seen(device: Device) -> datetime | None:
    return Device.objects.get(pk=device.pk).last_seen


def test_written_once_within_the_interval_and_again_after_it(station, settings):
    settings.DEVICES_LAST_SEEN_INTERVAL_SECONDS = 30
    device, _ = station
    clock = Clock()
    throttle = SeenThrottle(device.pk, clock=clock)
    assert throttle.touch(now=EARLIER) is True
    assert _seen(device) == EARLIER
    clock.now += 29.9
    assert throttle.touch(now=LATER) is False
    assert _seen(device) == EARLIER  # nothing written within the interval
    clock.now += 0.1
    assert throttle.touch(now=LATER) is True
    assert _seen(device) == LATER
    assert Device.objects.get(pk=device.pk).updated_at == LATER


def test_a_rolled_back_write_is_made_again_by_the_next_touch(station):
    device, _ = station
    throttle = SeenThrottle(device.pk, clock=Clock())
    with pytest.raises(RuntimeError), transaction.atomic():
        assert throttle.touch(now=EARLIER) is True
        raise RuntimeError("rolled back")
    assert _seen(device) is None
    assert throttle.touch(now=LATER) is True
    assert _seen(device) == LATER


async def _frames(token: str, *bodies: dict) -> list[dict]:
    socket, connected, _ = await connect(f"/ws/sensors/?token={token}")
    assert connected
    assert (await socket.receive_json())["type"] == "connection_established"
    replies = []
    for body in bodies:
        await socket.send_json(body)
        replies.append(await socket.receive_json())
    await socket.disconnect()
    return replies


def test_a_stations_frames_write_last_seen_once_per_interval(station, helios_station, settings):
    settings.DEVICES_LAST_SEEN_INTERVAL_SECONDS = 3600
    device, token = station
    other, _ = helios_station  # SQAL_001 of another organization
    acks = run(_frames, token, frame("S-1"), frame("S-2"), frame("S-3"))
    assert [ack["type"] for ack in acks] == ["ack", "ack", "ack"]
    assert QualitySample.objects.filter(device=device).count() == 3  # every sample stored
    first = _seen(device)
    assert first is not None
    assert first <= QualitySample.objects.get(sample_id="S-2").created_at  # written by the first frame only
    assert _seen(other) is None

    # a new connection writes at its first frame
    Device.objects.filter(pk=device.pk).update(last_seen=EARLIER)
    run(_frames, token, frame("S-4"), frame("S-5"))
    assert _seen(device) > first


def test_refused_frames_do_not_write_last_seen(station):
    device, token = station
    bad = frame("S-BAD")
    bad["vl53l8ch"]["distance_matrix"] = [[1, 2]]
    (reply,) = run(_frames, token, bad)
    assert reply["type"] == "validation_error"
    assert reply["errors"] == [{"field": "vl53l8ch.distance_matrix", "message": "Must be 8x8, got (1, 2)."}]
    assert _seen(device) is None
    assert not QualitySample.objects.exists()


def test_sensor_update_keeps_the_documented_shape(station, alice, token_for):
    _, token = station
    access = token_for(alice)

    async def scenario():
        dashboard, connected, _ = await connect(f"/ws/realtime/?token={access}")
        assert connected
        assert (await dashboard.receive_json())["type"] == "connection_established"
        try:
            (ack,) = await _frames(token, frame("S-SHAPE"))
            return ack, await dashboard.receive_json()
        finally:
            await dashboard.disconnect()
            await poller.stop()

    ack, update = run(scenario)
    sample = QualitySample.objects.get(sample_id="S-SHAPE")
    assert set(update) == {
        "type",
        "id",
        "timestamp",
        "device_id",
        "sample_id",
        "location",
        "vl53l8ch",
        "as7341",
        "fusion",
        "blockchain",
        "meta",
    }
    assert (update["type"], update["id"], update["device_id"]) == ("sensor_update", str(sample.pk), "SQAL_001")
    assert update["timestamp"] == "2026-12-01T10:00:00+00:00"
    assert update["fusion"]["final_grade"] == ack["fusion_grade"] == "A+"
    assert update["meta"] == {"firmware": "1.2.0"}
    blockchain = update["blockchain"]
    assert set(blockchain) == {"hash", "timestamp", "qr_code_base64", "lot_abattage", "eleveur", "provenance"}
    assert blockchain["hash"] == ack["certification_hash"] == sample.certification_hash
    expected = io.BytesIO()
    segno.make(sample.certification_hash, error="m", micro=False).save(expected, kind="png", scale=4, border=2)
    assert base64.b64decode(blockchain["qr_code_base64"]) == expected.getvalue()
