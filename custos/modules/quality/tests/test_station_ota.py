"""OTA over ``/ws/sensors/``: the station consumer sends ``custos.devices.ota``'s offers after ``hello_ack``
and after a heartbeat, and routes ``ota_progress`` to ``record_progress`` (its reply, when any, goes back)."""

from __future__ import annotations

import pytest

from custos.devices import ota
from custos.modules.quality.tests.helpers import connect, run

pytestmark = pytest.mark.django_db(transaction=True)


def _offer(version: str) -> dict:
    return {"type": "ota_available", "version": version, "campaign_id": f"c-{version}"}


@pytest.fixture
def ota_calls(monkeypatch):
    calls: list[tuple] = []

    def offers_for(device):
        calls.append(("offers_for", device.device_id))
        return [_offer("1.5.0"), _offer("1.6.0")]

    def record_progress(device, message):
        calls.append(("record_progress", device.device_id, message))
        if message.get("status") == "silent":
            return None
        return {"type": "ota_progress_ack", "status": message["status"]}

    monkeypatch.setattr(ota, "offers_for", offers_for)
    monkeypatch.setattr(ota, "record_progress", record_progress)
    return calls


def test_offers_follow_hello_and_heartbeat_and_progress_is_routed(station, ota_calls):
    _, token = station
    progress = {"type": "ota_progress", "campaign_id": "c-1.5.0", "status": "downloading", "progress": 40}
    silent = {"type": "ota_progress", "campaign_id": "c-1.5.0", "status": "silent"}

    async def scenario():
        socket, connected, _ = await connect(f"/ws/sensors/?token={token}")
        assert connected
        assert (await socket.receive_json())["type"] == "connection_established"
        await socket.send_json({"type": "esp32_hello", "device_id": "SQAL_001", "firmware_version": "1.4.0"})
        after_hello = [await socket.receive_json() for _ in range(3)]
        await socket.send_json({"type": "heartbeat", "device_id": "SQAL_001", "status": "normal", "uptime": 5})
        after_beat = [await socket.receive_json() for _ in range(3)]
        await socket.send_json(progress)
        progress_reply = await socket.receive_json()
        await socket.send_json(silent)
        quiet = await socket.nothing(0.5)
        await socket.send_json({"type": "ping"})
        pong = await socket.receive_json()
        await socket.disconnect()
        return after_hello, after_beat, progress_reply, quiet, pong

    after_hello, after_beat, progress_reply, quiet, pong = run(scenario)
    assert [m["type"] for m in after_hello] == ["hello_ack", "ota_available", "ota_available"]
    assert after_hello[1:] == [_offer("1.5.0"), _offer("1.6.0")]
    assert [m["type"] for m in after_beat] == ["heartbeat_ack", "ota_available", "ota_available"]
    assert progress_reply == {"type": "ota_progress_ack", "status": "downloading"}
    assert quiet, "no reply when record_progress returns None"
    assert pong["type"] == "pong"
    assert ota_calls == [
        ("offers_for", "SQAL_001"),
        ("offers_for", "SQAL_001"),
        ("record_progress", "SQAL_001", progress),
        ("record_progress", "SQAL_001", silent),
    ]


def test_no_offer_no_extra_message(station, monkeypatch):
    _, token = station
    monkeypatch.setattr(ota, "offers_for", lambda device: [])

    async def scenario():
        socket, _, _ = await connect(f"/ws/sensors/?token={token}")
        await socket.receive_json()
        await socket.send_json({"type": "esp32_hello", "device_id": "SQAL_001"})
        ack = await socket.receive_json()
        quiet = await socket.nothing(0.3)
        await socket.disconnect()
        return ack, quiet

    ack, quiet = run(scenario)
    assert ack["type"] == "hello_ack"
    assert quiet
