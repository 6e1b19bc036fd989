"""``/ws/realtime/``: dashboards receive ``sensor_update`` and ``alert`` for their organizations only,
filtered by ``subscribe``; ``get_latest`` answers the stored samples. Events travel the real path:
published after commit, relayed (embedded: the ``EventRelay`` poller; scaled: Redis) to the socket."""

from __future__ import annotations

import pytest

from custos.events.relay import poller
from custos.modules.quality.tests.helpers import connect, frame, run

pytestmark = pytest.mark.django_db(transaction=True)
RELAYED = 20  # seconds to wait for a message that travels the relay (a busy CI machine polls late)


async def _dashboard(token: str):
    socket, connected, _ = await connect(f"/ws/realtime/?token={token}")
    assert connected
    assert (await socket.receive_json())["type"] == "connection_established"
    return socket


async def _station(token: str):
    socket, connected, _ = await connect(f"/ws/sensors/?token={token}")
    assert connected
    await socket.receive_json()
    return socket


async def _send(station, body):
    await station.send_json(body)
    reply = await station.receive_json()
    assert reply["type"] == "ack", reply
    return reply


@pytest.mark.parametrize("query", ["", "?token=", "?token=not-a-jwt"])
def test_dashboard_handshake_needs_an_access_token(db, query):
    async def scenario():
        return (await connect(f"/ws/realtime/{query}"))[1:]

    assert run(scenario) == (False, 4401)


def test_sensor_updates_and_alerts_reach_the_organizations_dashboards_only(
    station, helios_station, alice, bob, token_for
):
    alice_token, bob_token = token_for(alice), token_for(bob)

    async def scenario():
        alice_ws, bob_ws = await _dashboard(alice_token), await _dashboard(bob_token)
        north, helios = await _station(station[1]), await _station(helios_station[1])
        try:
            ack = await _send(north, frame("N-1"))
            update = await alice_ws.receive_json()
            assert update["type"] == "sensor_update"
            assert (update["device_id"], update["sample_id"]) == ("SQAL_001", "N-1")
            assert update["fusion"]["final_grade"] == "A+"
            assert update["fusion"]["final_score"] == ack["fusion_score"]
            assert update["blockchain"]["hash"] == ack["certification_hash"]
            assert update["blockchain"]["qr_code_base64"].startswith("iVBORw0KGgo")  # PNG
            assert update["blockchain"]["lot_abattage"] == "LOT-42"
            assert len(update["vl53l8ch"]["distance_matrix"]) == 8
            assert update["as7341"]["channels"]["NIR"] == 5000

            await _send(helios, frame("H-1", height=30.0))  # REJECT in Helios: an alert too
            bob_update = await bob_ws.receive_json()
            assert (bob_update["type"], bob_update["sample_id"]) == ("sensor_update", "H-1")
            bob_alert = await bob_ws.receive_json()
            assert bob_alert["type"] == "alert"
            assert (bob_alert["alert"]["source"], bob_alert["alert"]["alert_type"]) == ("quality", "grade")
            assert await alice_ws.nothing(1.0), "Helios's sample and alert never reach Northwind"
        finally:
            for socket in (alice_ws, bob_ws, north, helios):
                await socket.disconnect()
            await poller.stop()

    run(scenario)


def test_subscription_filters_and_get_latest(station, alice, token_for):
    alice_token = token_for(alice)

    async def scenario():
        dashboard, north = await _dashboard(alice_token), await _station(station[1])
        try:
            await dashboard.send_json({"command": "subscribe", "grades": ["A+", "Z"]})
            bad = await dashboard.receive_json()
            assert bad["type"] == "validation_error"
            assert bad["errors"][0]["field"] == "grades"

            await dashboard.send_json({"command": "subscribe", "device_ids": ["SQAL_001"], "grades": ["REJECT"]})
            assert await dashboard.receive_json() == {
                "type": "subscription_updated",
                "filters": {"device_ids": ["SQAL_001"], "grades": ["REJECT"], "min_score": None},
            }
            await _send(north, frame("GOOD-1"))
            await _send(north, frame("BAD-1", height=30.0))
            first = await dashboard.receive_json()
            assert (first["type"], first["sample_id"]) == ("sensor_update", "BAD-1"), "the A+ sample was filtered"
            # the alert travels the relay, whose poll retries when SQLite's shared cache reports a lock
            assert (await dashboard.receive_json(timeout=RELAYED))["type"] == "alert"

            await dashboard.send_json({"type": "subscribe", "min_score": 0.9})
            assert (await dashboard.receive_json())["type"] == "subscription_updated"
            await _send(north, frame("BAD-2", height=30.0))
            await _send(north, frame("GOOD-2"))
            # the alert comes through the relay, the update may come directly: either order
            received = {
                message["type"]: message
                for message in [await dashboard.receive_json(timeout=RELAYED) for _ in range(2)]
            }
            assert set(received) == {"alert", "sensor_update"}, "alerts are not filtered by score"
            assert "BAD-2" in received["alert"]["alert"]["message"]
            assert received["sensor_update"]["sample_id"] == "GOOD-2", "BAD-2 is under 0.9"
            assert await dashboard.nothing(0.5), "GOOD-2 is delivered once, not once per path"

            await dashboard.send_json({"command": "subscribe", "device_ids": ["SQAL_999"]})
            assert (await dashboard.receive_json())["type"] == "subscription_updated"
            await dashboard.send_json({"command": "get_latest", "limit": 5})
            latest = await dashboard.receive_json()
            while latest["type"] != "latest":  # updates already on their way
                latest = await dashboard.receive_json()
            assert latest == {"type": "latest", "count": 0, "samples": []}
            await dashboard.send_json({"command": "subscribe"})
            assert (await dashboard.receive_json())["type"] == "subscription_updated"
            await dashboard.send_json({"command": "get_latest", "limit": 2})
            latest = await dashboard.receive_json()
            while latest["type"] != "latest":
                latest = await dashboard.receive_json()
            assert latest["count"] == 2
            assert {s["sample_id"] for s in latest["samples"]} <= {"GOOD-1", "BAD-1", "BAD-2", "GOOD-2"}
        finally:
            await dashboard.disconnect()
            await north.disconnect()
            await poller.stop()

    run(scenario)


def test_a_station_that_never_reads_does_not_stall_the_others(station, alice, org_a, token_for):
    """Station SQAL_002 sends frames and never reads a reply; SQAL_001's frames are still acked and its
    updates delivered, and every frame of both is stored once."""
    from custos.devices.services import device_token_issue
    from custos.kernel.context import WriteContext
    from custos.modules.quality.models import QualitySample

    silent_token = device_token_issue(
        WriteContext.for_user(alice, organization_id=org_a.id), device_id="SQAL_002"
    ).token
    alice_token = token_for(alice)

    async def scenario():
        dashboard = await _dashboard(alice_token)
        await dashboard.send_json({"command": "subscribe", "device_ids": ["SQAL_001"]})
        assert (await dashboard.receive_json())["type"] == "subscription_updated"
        silent = await _station(silent_token)
        north = await _station(station[1])
        try:
            for n in range(8):  # never read: its acks pile up unread
                await silent.send_json(frame(f"MUTE-{n}", device_id="SQAL_002"))
            for n in range(3):  # generous timeouts: the muted frames are stored first, on a busy machine
                await north.send_json(frame(f"TALK-{n}"))
                ack = await north.receive_json(timeout=30)
                assert (ack["type"], ack["sample_id"]) == ("ack", f"TALK-{n}")
                update = await dashboard.receive_json(timeout=30)
                assert (update["type"], update["sample_id"]) == ("sensor_update", f"TALK-{n}")
            # only now does the muted station read: its eight acks were waiting for it
            muted = [await silent.receive_json(timeout=30) for _ in range(8)]
            assert [(m["type"], m["sample_id"]) for m in muted] == [("ack", f"MUTE-{n}") for n in range(8)]
        finally:
            for socket in (dashboard, north, silent):
                await socket.disconnect()
            await poller.stop()

    run(scenario)
    assert sorted(QualitySample.objects.filter(device__device_id="SQAL_001").values_list("sample_id", flat=True)) == [
        "TALK-0",
        "TALK-1",
        "TALK-2",
    ]
    assert QualitySample.objects.filter(device__device_id="SQAL_002").count() == 8
