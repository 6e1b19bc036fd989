"""The twin Socket.IO protocol against the running ASGI application, with python-socketio's client:
streams (``stream_data`` on ingestion, per organization), ``request_data`` with stored data,
``dashboard_update`` while the room has members, ``ping``.

Ordering (one publisher, delivered in order) shows that something was *not* delivered without waiting
on a clock: the first event a client receives is the first one meant for it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from custos.devices import services as device_services
from custos.devices.models import Device, Reading
from custos.events import streams
from custos.events.models import EventRelay
from custos.events.services import relay_mode
from custos.events.tests.clients import SioClient
from custos.events.ticker import DASHBOARD_ROOM, _occupied_rooms, ticker
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db(transaction=True)


def _client(asgi_server, token) -> SioClient:
    client = SioClient()
    client.connect(f"http://{asgi_server}", auth={"token": token})
    assert client.next()[0] == "connection_established"
    return client


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ingest(device: Device, rows: list[dict]) -> None:
    """Store ``rows`` as the HTTP batch route does; the ingest service announces them after commit."""
    device_services.readings_ingest(
        WriteContext.system(organization_id=device.organization_id), device=device, rows=rows
    )


@pytest.fixture
def fleet(org_a, org_b):
    boiler = Device.objects.create(
        organization=org_a,
        device_id="DEVICE_001",
        device_type="temperature_sensor",
        name="Boiler",
        unit="°C",
        status="normal",
        health_score=0.92,
        efficiency_score=0.88,
    )
    pump = Device.objects.create(
        organization=org_a, device_id="PUMP_7", device_type="pressure_sensor", name="Pump", status="warning"
    )
    helios = Device.objects.create(
        organization=org_b, device_id="DEVICE_001", device_type="temperature_sensor", name="Helios", status="normal"
    )
    return boiler, pump, helios


def test_stream_data_reaches_subscribers_of_the_device_in_their_organization_only(
    asgi_server, token_for, alice, bob, org_a, org_b, fleet
):
    boiler, _pump, helios = fleet
    alice_sio, bob_sio = _client(asgi_server, token_for(alice)), _client(asgi_server, token_for(bob))
    try:
        alice_sio.emit("subscribe_stream", {"stream_id": "DEVICE_001"})
        assert alice_sio.next() == ("stream_subscribed", {"status": "success", "stream_id": "DEVICE_001"})
        bob_sio.emit("subscribe_stream", {"stream_id": "PUMP_7"})  # Northwind's device: refused
        assert bob_sio.next() == ("error", {"status": "error", "message": "Device 'PUMP_7' not found."})
        bob_sio.emit("join_room", {"room": "stream_DEVICE_001"})  # his own organization's DEVICE_001
        assert bob_sio.next() == ("room_joined", {"status": "success", "room": "stream_DEVICE_001"})

        base = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
        t0, t1, t2 = base, base + timedelta(seconds=30), base + timedelta(seconds=60)
        _ingest(
            boiler,
            [
                {"timestamp": _z(t1), "value": 21.5},
                {"timestamp": _z(t0), "value": 20.25},
                {"timestamp": _z(t1), "value": 0.4, "metric": "vibration"},
            ],
        )
        _ingest(helios, [{"timestamp": _z(t2), "value": 7}])

        assert alice_sio.next() == (
            "stream_data",
            {
                "stream_id": "DEVICE_001",
                "device_id": "DEVICE_001",
                "organization_id": str(org_a.id),
                "timestamp": _z(t1),
                "metric": "vibration",
                "value": 0.4,
                "count": 3,
                "readings": [
                    {"timestamp": _z(t0), "metric": "value", "value": 20.25},
                    {"timestamp": _z(t1), "metric": "value", "value": 21.5},
                    {"timestamp": _z(t1), "metric": "vibration", "value": 0.4},
                ],
            },
        )
        assert bob_sio.next() == (
            "stream_data",
            {
                "stream_id": "DEVICE_001",
                "device_id": "DEVICE_001",
                "organization_id": str(org_b.id),
                "timestamp": _z(t2),
                "metric": "value",
                "value": 7.0,
                "count": 1,
                "readings": [{"timestamp": _z(t2), "metric": "value", "value": 7.0}],
            },
        ), "Northwind's DEVICE_001 readings never reached Helios"

        alice_sio.emit("unsubscribe_stream", {"stream_id": "DEVICE_001"})
        assert alice_sio.next() == ("stream_unsubscribed", {"status": "success", "stream_id": "DEVICE_001"})
        bob_sio.emit("leave_room", {"room": "stream_DEVICE_001"})
        assert bob_sio.next() == ("room_left", {"status": "success", "room": "stream_DEVICE_001"})
        alice_sio.emit("subscribe_stream", {"stream_id": "bad id!"})
        assert alice_sio.next()[0] == "validation_error"
        assert Reading.objects.filter(device=boiler).count() == 3
    finally:
        alice_sio.close()
        bob_sio.close()


def test_ingestion_without_subscribers_sends_nothing(org_a, fleet):
    boiler = fleet[0]
    before = EventRelay.objects.count()
    assert streams.watched(org_a.id, ["DEVICE_001", "PUMP_7"]) == set()
    moment = timezone.now().replace(microsecond=0) - timedelta(minutes=1)
    _ingest(boiler, [{"timestamp": _z(moment), "value": 1.0}])
    assert EventRelay.objects.count() == before
    streams.mark_subscribed([(org_a.id, "DEVICE_001")])
    assert streams.watched(org_a.id, ["DEVICE_001", "PUMP_7"]) == {"DEVICE_001"}
    streams.readings_ingested(org_a.id, [("DEVICE_001", moment, "value", 2.0), ("PUMP_7", moment, "value", 3.0)])
    if relay_mode():
        rows = list(EventRelay.objects.filter(id__gt=0).order_by("id").values_list("topic", "event", "payload"))
        assert [(topic, event, payload["device_id"]) for topic, event, payload in rows[before:]] == [
            ("stream", "stream_data", "DEVICE_001")
        ]


def test_stream_payload_keeps_the_newest_readings_and_counts_all():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [(start + timedelta(seconds=i), "value", float(i)) for i in range(streams.MAX_READINGS + 5)]
    payload = streams.stream_payload("org", "D1", list(reversed(rows)))
    assert payload["count"] == streams.MAX_READINGS + 5
    assert len(payload["readings"]) == streams.MAX_READINGS
    assert payload["readings"][0] == {"timestamp": "2026-01-01T00:00:05Z", "metric": "value", "value": 5.0}
    assert (payload["timestamp"], payload["value"]) == (_z(start + timedelta(seconds=1004)), 1004.0)


def test_readings_ingested_never_raises(org_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("cache down")

    monkeypatch.setattr(streams, "watched", broken)
    assert streams.readings_ingested(org_a.id, [("D", timezone.now(), "value", 1.0)]) is None


def test_ping_answers_pong(asgi_server, token_for, vera):
    client = _client(asgi_server, token_for(vera))
    try:
        client.emit("ping", {"t": 1})
        event, data = client.next()
        assert event == "pong"
        assert set(data) == {"status", "timestamp"} and data["status"] == "success"
        assert datetime.fromisoformat(data["timestamp"]).tzinfo is not None
    finally:
        client.close()


def _request(client: SioClient, body) -> tuple[str, object]:
    client.emit("request_data", body)
    return client.next()


def test_request_data_answers_with_stored_data(asgi_server, token_for, alice, bob, org_a, fleet):
    boiler, _pump, _helios = fleet
    computed = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    components = {"performance": 0.9, "reliability": 1.0, "efficiency": 0.88, "safety": 0.95, "maintenance": 0.8}
    # the twin's model, named through the app registry (a core app never imports a domain module)
    apps.get_model("twin", "HealthRecord").objects.create(
        organization=org_a,
        device=boiler,
        computed_at=computed,
        health_score=0.92,
        efficiency_score=0.88,
        status="good",
        components=components,
    )
    now = timezone.now().replace(microsecond=0)
    Reading.objects.bulk_create(
        Reading(device=boiler, organization=org_a, timestamp=now - timedelta(minutes=30 - i), value=20.0 + (i % 3))
        for i in range(30)
    )
    client = _client(asgi_server, token_for(alice))
    try:
        event, data = _request(client, {"type": "health_data"})
        assert event == "data_response"
        assert data["status"] == "success" and data["type"] == "health_data"
        assert data["data"] == [
            {
                "device_id": "DEVICE_001",
                "organization_id": str(org_a.id),
                "health_score": 0.92,
                "efficiency_score": 0.88,
                "status": "good",
                "components": components,
                "computed_at": "2026-03-01T12:00:00Z",
            },
            {
                "device_id": "PUMP_7",
                "organization_id": str(org_a.id),
                "health_score": None,
                "efficiency_score": None,
                "status": None,
                "components": None,
                "computed_at": None,
            },
        ], "Helios' DEVICE_001 is not among Alice's devices"

        event, data = _request(client, {"type": "device_status", "filters": {"status": "normal"}})
        assert event == "data_response"
        assert data["data"]["total"] == 1
        assert data["data"]["statusDistribution"] == {"normal": 1, "warning": 1, "critical": 0, "offline": 0}
        (device,) = data["data"]["devices"]
        latest = now - timedelta(minutes=1)
        assert datetime.fromisoformat(device.pop("timestamp").replace("Z", "+00:00")) == latest
        assert device == {
            "id": str(boiler.id),
            "device_id": "DEVICE_001",
            "device_type": "temperature_sensor",
            "device_name": "Boiler",
            "value": 20.0 + (29 % 3),
            "status": "normal",
            "health_score": 0.92,
            "efficiency_score": 0.88,
            "location": "",
            "unit": "°C",
            "metadata": {},
        }

        event, data = _request(client, {"type": "analytics", "filters": {"device_id": "DEVICE_001", "hours": 1}})
        assert event == "data_response"
        assert data["data"]["device_id"] == "DEVICE_001"
        assert data["data"]["anomaly_prediction"]["readings_analyzed"] == 30

        event, data = _request(client, {"type": "analytics"})
        assert event == "data_response"
        figures = data["data"]
        assert (figures["totalDevices"], figures["activeDevices"]) == (2, 1)
        assert (figures["systemHealth"], figures["efficiency"]) == (92, 88)
        assert figures["statusDistribution"] == {"normal": 1, "warning": 1, "critical": 0, "offline": 0}

        assert _request(client, {"type": "everything"}) == (
            "validation_error",
            {"status": "error", "message": "'type' must be one of analytics, device_status, health_data."},
        )
        assert _request(client, {"type": "health_data", "filters": [1]}) == (
            "validation_error",
            {"status": "error", "message": "'filters' must be an object."},
        )
        event, data = _request(client, {"type": "analytics", "filters": {"hours": 0}})
        assert event == "validation_error" and data["message"].startswith("Invalid filters: hours:")
    finally:
        client.close()

    other = _client(asgi_server, token_for(bob))
    try:
        assert _request(other, {"type": "health_data", "filters": {"device_id": "PUMP_7"}}) == (
            "error",
            {"status": "error", "message": "Device 'PUMP_7' not found."},
        )
        assert _request(other, {"type": "health_data", "filters": {"organization_id": str(org_a.id)}}) == (
            "validation_error",
            {"status": "error", "message": "filters.organization_id: not one of your organizations."},
        )
        event, data = _request(other, {"type": "device_status"})
        assert [d["device_id"] for d in data["data"]["devices"]] == ["DEVICE_001"]
        assert data["data"]["devices"][0]["device_name"] == "Helios"
    finally:
        other.close()


def test_dashboard_update_while_the_room_has_members(asgi_server, token_for, alice, bob, org_a, org_b, fleet, settings):
    settings.SOCKETIO_DASHBOARD_INTERVAL = 1
    alice_sio, bob_sio = _client(asgi_server, token_for(alice)), _client(asgi_server, token_for(bob))
    try:
        alice_sio.emit("join_room", {"room": "dashboard_updates"})
        assert alice_sio.next() == ("room_joined", {"status": "success", "room": "dashboard_updates"})
        event, first = alice_sio.next()
        assert event == "dashboard_update"
        assert first["organization_id"] == str(org_a.id)
        assert (first["totalDevices"], first["systemHealth"]) == (2, 92)
        assert [d["device_id"] for d in first["devices"]] == ["DEVICE_001", "PUMP_7"]

        bob_sio.emit("subscribe", {"room": "dashboard_updates"})
        assert bob_sio.next() == ("subscribed", {"status": "success", "room": "dashboard_updates"})
        event, his = bob_sio.next()
        assert (event, his["organization_id"], his["totalDevices"]) == ("dashboard_update", str(org_b.id), 1)

        # then periodically, with the figures of the moment
        Device.objects.create(organization=org_a, device_id="FAN_3", device_type="vibration_sensor")
        _event, later = alice_sio.wait_for(
            lambda name, data: name == "dashboard_update" and data["totalDevices"] == 3, timeout=30
        )
        assert later["organization_id"] == str(org_a.id)

        for client, reply in ((alice_sio, "room_left"), (bob_sio, "unsubscribed")):
            client.emit("leave_room" if reply == "room_left" else "unsubscribe", {"room": "dashboard_updates"})
            client.wait_for(lambda name, data, reply=reply: name == reply, timeout=20)
        assert _occupied_rooms(DASHBOARD_ROOM) == []
        assert asyncio.run(ticker.push_dashboards()) == 0, "no members, nothing computed or sent"
    finally:
        alice_sio.close()
        bob_sio.close()
