"""Real-time delivery through the running ASGI application: Socket.IO (twin API) and ``/ws/events/``.

Events are published from this process (as a service would); in embedded mode they reach the server
through the database relay, in scaled mode through Redis. Ordering (one publisher, delivered in order)
lets the tests show that something was *not* delivered without waiting on a clock: the first event a
client receives is the first one meant for it.
"""

from __future__ import annotations

import contextlib

import pytest
import socketio
from django.db import transaction

from custos.events.models import EventRelay
from custos.events.services import publish, relay_mode
from custos.events.tests.clients import SioClient, WsClient
from custos.kernel.errors import ValidationFailed

pytestmark = pytest.mark.django_db(transaction=True)


def _sio(asgi_server, **kwargs) -> SioClient:
    client = SioClient()
    client.connect(f"http://{asgi_server}", **kwargs)
    return client


def _joined(asgi_server, token, topic) -> SioClient:
    client = _sio(asgi_server, auth={"token": token})
    assert client.next()[0] == "connection_established"
    client.emit("subscribe", {"room": topic})
    assert client.next() == ("subscribed", {"status": "success", "room": topic})
    return client


def _ws(asgi_server, token, topic) -> WsClient:
    client = WsClient(f"ws://{asgi_server}/ws/events/?token={token}")
    assert client.receive()["type"] == "connection_established"
    client.send({"type": "subscribe", "topic": topic})
    assert client.receive() == {"type": "subscribed", "topic": topic}
    return client


class Boom(Exception):
    pass


def test_events_arrive_after_commit_only_and_never_cross_organizations(
    asgi_server, token_for, alice, bob, org_a, org_b
):
    alice_sio, alice_ws = _joined(asgi_server, token_for(alice), "alerts"), _ws(asgi_server, token_for(alice), "alerts")
    bob_sio = _joined(asgi_server, token_for(bob), "alerts")
    try:
        with pytest.raises(Boom), transaction.atomic():
            publish(organization_id=org_a.id, topic="alerts", event="alert_update", payload={"n": "rolled-back"})
            raise Boom()
        assert not EventRelay.objects.exists()
        publish(organization_id=org_b.id, topic="alerts", event="alert_update", payload={"n": "for-b"})
        with transaction.atomic():
            publish(organization_id=org_a.id, topic="alerts", event="alert_update", payload={"n": "for-a"})
        publish(organization_id=org_b.id, topic="alerts", event="alert_update", payload={"n": "for-b-2"})

        assert alice_sio.next() == ("alert_update", {"n": "for-a"})
        assert alice_ws.receive() == {
            "type": "event",
            "topic": "alerts",
            "event": "alert_update",
            "payload": {"n": "for-a"},
        }
        assert bob_sio.next() == ("alert_update", {"n": "for-b"})
        assert bob_sio.next() == ("alert_update", {"n": "for-b-2"}), "org_a's event never reached org_b"
    finally:
        for client in (alice_sio, alice_ws, bob_sio):
            client.close()


def test_private_events_reach_the_owner_and_admins_once(asgi_server, token_for, amir, adam, vera, org_a):
    owner, admin, viewer = (_joined(asgi_server, token_for(user), "jobs") for user in (amir, adam, vera))
    admin_ws = _ws(asgi_server, token_for(adam), "jobs")
    try:
        publish(organization_id=org_a.id, topic="jobs", event="job_update", payload={"n": 1}, user_id=amir.id)
        publish(organization_id=org_a.id, topic="jobs", event="job_update", payload={"n": 2})
        assert owner.next() == ("job_update", {"n": 1})
        assert admin.next() == ("job_update", {"n": 1})
        assert admin.next() == ("job_update", {"n": 2}), "delivered once although adam is in two of its rooms"
        assert admin_ws.receive()["payload"] == {"n": 1}
        assert admin_ws.receive()["payload"] == {"n": 2}
        assert viewer.next() == ("job_update", {"n": 2}), "another member does not see amir's job"
    finally:
        for client in (owner, admin, viewer, admin_ws):
            client.close()


@pytest.mark.parametrize("how", ["auth", "query", "header", "cookie"])
def test_socketio_accepts_every_credential_form(asgi_server, token_for, alice, how):
    token = token_for(alice)
    options = {
        "auth": {"auth": {"token": token}},
        "query": {},
        "header": {"headers": {"Authorization": f"Bearer {token}"}},
        "cookie": {"headers": {"Cookie": f"access_token_cookie={token}"}},
    }[how]
    client = SioClient()
    url = f"http://{asgi_server}" + (f"?token={token}" if how == "query" else "")
    client.client.connect(url, transports=["websocket"], wait_timeout=10, **options)
    try:
        event, data = client.next()
        assert event == "connection_established"
        assert data["status"] == "success"
        assert data["data"]["user_id"] == str(alice.id)
        assert data["data"]["role"] == "admin"  # alice owns her organization
        assert set(data["data"]) == {"session_id", "user_id", "role", "server_time"}
    finally:
        client.close()


@pytest.mark.parametrize("token", ["", "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
def test_socketio_bad_credentials_get_auth_failed_and_are_refused(asgi_server, alice, token):
    client = SioClient()
    # The refusal may already surface as a connection error; the event is what the client sees first.
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        client.client.connect(f"http://{asgi_server}", transports=["websocket"], wait_timeout=10, auth={"token": token})
    try:
        event, data = client.next()
        assert event == "auth_failed"
        assert data["status"] == "error"
        client.client.sleep(0)
        assert client.events.empty()
    finally:
        client.close()


def test_socketio_rooms_ping_and_errors(asgi_server, token_for, amir, org_a):
    from custos.devices.models import Device

    Device.objects.create(organization=org_a, device_id="DEVICE_001", device_type="temperature_sensor")
    client = _sio(asgi_server, auth={"token": token_for(amir)})
    try:
        client.next()
        client.emit("join_room", {"room": "alerts"})
        assert client.next() == ("room_joined", {"status": "success", "room": "alerts"})
        client.emit("leave_room", {"room": "alerts"})
        assert client.next() == ("room_left", {"status": "success", "room": "alerts"})
        client.emit("unsubscribe", {"room": "alerts"})
        assert client.next() == ("unsubscribed", {"status": "not_subscribed", "room": "alerts"})
        client.emit("subscribe_stream", {"stream_id": "DEVICE_001"})
        assert client.next() == ("stream_subscribed", {"status": "success", "stream_id": "DEVICE_001"})
        client.emit("unsubscribe_stream", {"stream_id": "DEVICE_001"})
        assert client.next() == ("stream_unsubscribed", {"status": "success", "stream_id": "DEVICE_001"})
        client.emit("ping")
        event, data = client.next()
        assert event == "pong" and data["status"] == "success"
        for bad_event, bad in [("join_room", {"room": "../etc"}), ("subscribe", {}), ("subscribe_stream", {"x": 1})]:
            client.emit(bad_event, bad)
            event, data = client.next()
            assert event == "validation_error" and data["status"] == "error"
        client.emit("request_data", {"type": "everything"})
        assert client.next()[0] == "validation_error"
    finally:
        client.close()


def test_websocket_requires_a_valid_token_and_json(asgi_server, token_for, amir):
    bad = WsClient(f"ws://{asgi_server}/ws/events/?token=nope")
    try:
        assert bad.receive()["type"] == "auth_failed"
    finally:
        bad.close()
    client = _ws(asgi_server, token_for(amir), "jobs")
    try:
        client.send({"type": "subscribe", "topic": "bad topic!"})
        assert client.receive()["type"] == "error"
        client.connection.send("not json")
        assert client.receive() == {"type": "error", "message": "Messages must be JSON objects."}
        client.send({"type": "ping"})
        assert client.receive()["type"] == "pong"
    finally:
        client.close()


def test_publish_rejects_bad_topics(org_a):
    with pytest.raises(ValidationFailed):
        publish(organization_id=org_a.id, topic="no spaces", payload={})
    assert relay_mode() is not bool(EventRelay.objects.exists()) or not EventRelay.objects.exists()


def test_socketio_long_polling_transport_works_too(asgi_server, token_for, alice, org_a):
    client = SioClient()
    client.client.connect(
        f"http://{asgi_server}", transports=["polling"], wait_timeout=10, auth={"token": token_for(alice)}
    )
    try:
        assert client.next()[0] == "connection_established"
        client.emit("join_room", {"room": "alerts"})
        assert client.next() == ("room_joined", {"status": "success", "room": "alerts"})
        publish(organization_id=org_a.id, topic="alerts", event="alert_update", payload={"ok": True})
        assert client.next() == ("alert_update", {"ok": True})
    finally:
        client.close()
