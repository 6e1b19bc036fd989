"""Through the real ASGI application: a station (no Origin, device token) connects to /ws/sensors/;
browser sockets keep the Origin check."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from custos.devices.services import device_token_issue
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db(transaction=True)


async def _handshake(path: str, query: str, headers: list[tuple[bytes, bytes]]) -> str:
    from config.asgi import application

    scope = {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "subprotocols": [],
    }
    socket = ApplicationCommunicator(application, scope)
    await socket.send_input({"type": "websocket.connect"})
    reply = await socket.receive_output(5)
    await socket.send_input({"type": "websocket.disconnect", "code": 1000})
    await socket.wait(1)
    return reply["type"]


def test_a_station_without_origin_connects_with_its_device_token(alice, org_a):
    token = device_token_issue(WriteContext.for_user(alice, organization_id=org_a.id), device_id="SQAL_9").token
    assert async_to_sync(_handshake)("/ws/sensors/", f"token={token}", []) == "websocket.accept"
    assert async_to_sync(_handshake)("/ws/sensors/", "token=wrong", []) == "websocket.close"


def test_a_dashboard_socket_keeps_the_origin_check(alice):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(alice).access_token)
    assert async_to_sync(_handshake)("/ws/realtime/", f"token={token}", []) == "websocket.close"
    allowed = [(b"origin", b"http://localhost")]
    assert async_to_sync(_handshake)("/ws/realtime/", f"token={token}", allowed) == "websocket.accept"
