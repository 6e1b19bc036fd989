"""Black-box conformance of the WebSocket routes of ``specs/endpoints.tsv`` against the live server:
``/ws/sensors/`` (a station with its device token), ``/ws/realtime/`` (a dashboard with its JWT) and the
twin's Socket.IO (``/socket.io/``), each first refused without a credential."""

from __future__ import annotations

import json
from typing import Any

import pytest
import socketio
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from custos.ops.spec_report import Route
from tests.conformance import makers
from tests.conformance.live import Api

pytestmark = pytest.mark.slow


def _route(request: Any, dialect: str, path: str) -> None:
    request.node.user_properties.append(("route", Route(dialect, "WS", path).key()))


def _refused(url: str, origin: Any = None) -> bool:
    """The handshake is refused, or the socket is closed before any message."""
    try:
        with connect(url, open_timeout=20, origin=origin) as socket:
            socket.recv(timeout=10)
    except InvalidStatus:
        return True
    except Exception as error:
        return "ConnectionClosed" in type(error).__name__
    return False


def test_ws_sensors(live: Api, request) -> None:
    _route(request, "sqal", "/ws/sensors/")
    assert _refused(makers.ws_url(live, "/ws/sensors/", "dvt_not-a-token"))
    [ack] = makers.send_samples(live, [50.0])
    assert ack["status"] == "saved"
    assert ack["sample_id"].startswith("CONF-")
    assert 0.0 <= ack["fusion_score"] <= 1.0
    assert ack["fusion_grade"] in ("A+", "A", "B", "C", "REJECT")
    device = live.ids["quality-device"]
    stored = makers.first(live, f"/api/analysis/history/?limit=200&device_id={device}", sampleId=ack["sample_id"])
    assert stored["deviceId"] == device


def test_ws_realtime(live: Api, request) -> None:
    _route(request, "sqal", "/ws/realtime/")
    origin = str(live.http.base_url).rstrip("/")  # a dashboard is a page of an allowed origin
    assert _refused(makers.ws_url(live, "/ws/realtime/", "not-a-jwt"), origin)
    url = makers.ws_url(live, "/ws/realtime/", live.tokens["OWNER"])
    with connect(url, open_timeout=20, origin=Origin(origin)) as socket:
        hello = json.loads(socket.recv(timeout=20))
        assert hello["type"] == "connection_established", hello
        command = {"command": "subscribe", "device_ids": ["SQAL_001"], "grades": ["A", "A+"], "min_score": 0.5}
        socket.send(json.dumps(command))
        while True:
            reply = json.loads(socket.recv(timeout=20))
            if reply.get("type") != "sensor_update":
                break
        assert reply["type"] == "subscription_updated", reply


def test_socket_io(live: Api, request) -> None:
    _route(request, "twin", "/socket.io/")
    base = str(live.http.base_url).rstrip("/")
    refused = socketio.SimpleClient()
    try:
        refused.connect(base, auth={"token": "not-a-jwt"}, transports=["websocket"], wait_timeout=20)
    except socketio.exceptions.ConnectionError:
        pass  # rejected at connect
    else:  # or told ``auth_failed`` and disconnected
        try:
            name, data = refused.receive(timeout=20)
            assert name == "auth_failed", (name, data)
        except socketio.exceptions.DisconnectedError:
            pass
        finally:
            refused.disconnect()
    client = socketio.SimpleClient()
    client.connect(base, auth={"token": live.tokens["OWNER"]}, transports=["websocket"], wait_timeout=20)
    try:
        name, data = client.receive(timeout=20)
        assert name == "connection_established", (name, data)
        assert {"session_id", "user_id", "role", "server_time"} <= set(data["data"]), data
        client.emit("ping", {})
        while True:
            name, data = client.receive(timeout=20)
            if name == "pong":
                break
            assert name in ("dashboard_update", "alert_update", "stream_data"), (name, data)
    finally:
        client.disconnect()
