"""The twin Socket.IO server (python-socketio, ASGI), mounted on ``/socket.io/`` of the HTTP port.

Handshake: a JWT from ``auth: {token}``, ``?token=``, an ``Authorization: Bearer`` header or the
``access_token_cookie``; a bad or missing one gets ``auth_failed`` and the connection is refused.
Rooms are the event groups of ``custos.events.services``: joining ``alerts`` puts the connection in
``org.<id>.alerts`` of each of the user's organizations (plus the private ones), so one tenant never
receives another's events. In scaled mode an ``AsyncRedisManager`` shares rooms between processes.
"""

from __future__ import annotations

import re
import time
from collections import deque
from typing import Any

import socketio
from asgiref.sync import sync_to_async
from django.utils import timezone

from custos.events.relay import poller
from custos.events.selectors import subscription_groups, token_from_handshake, user_for_token, user_role
from custos.events.sio import sio
from custos.kernel.errors import ValidationFailed

STREAM_ID = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
RATE_LIMIT = 100  # messages per connection
RATE_WINDOW = 60.0  # seconds


_rates: dict[str, deque] = {}


def _error(message: str) -> dict[str, str]:
    return {"status": "error", "message": message}


async def _limited(sid: str) -> bool:
    now = time.monotonic()
    window = _rates.setdefault(sid, deque())
    while window and now - window[0] > RATE_WINDOW:
        window.popleft()
    if len(window) >= RATE_LIMIT:
        await sio.emit("error", _error("Rate limit exceeded: at most 100 messages per minute."), to=sid)
        return True
    window.append(now)
    return False


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    await poller.ensure_started()
    token = token_from_handshake(
        auth=auth,
        query_string=environ.get("QUERY_STRING", ""),
        authorization=environ.get("HTTP_AUTHORIZATION", ""),
        cookie_header=environ.get("HTTP_COOKIE", ""),
    )
    user = await sync_to_async(user_for_token)(token=token)
    if user is None:
        await sio.emit("auth_failed", _error("Authentication failed: a valid access token is required."), to=sid)
        raise ConnectionRefusedError("authentication failed")
    role = await sync_to_async(user_role)(user=user)
    await sio.save_session(sid, {"user": user, "user_id": str(user.pk), "role": role, "topics": {}})
    await sio.emit(
        "connection_established",
        {
            "status": "success",
            "data": {
                "session_id": sid,
                "user_id": str(user.pk),
                "role": role,
                "server_time": timezone.now().isoformat(),
            },
        },
        to=sid,
    )


@sio.event
async def disconnect(sid: str, *_args: Any) -> None:
    _rates.pop(sid, None)


def _room_of(data: Any) -> str | None:
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and isinstance(data.get("room"), str):
        return data["room"]
    return None


async def _join(sid: str, topic: str) -> None:
    session = await sio.get_session(sid)
    groups = await sync_to_async(subscription_groups)(user=session["user"], topic=topic)
    for group in groups:
        await sio.enter_room(sid, group)
    session["topics"][topic] = groups
    await sio.save_session(sid, session)


async def _leave(sid: str, topic: str) -> bool:
    session = await sio.get_session(sid)
    groups = session["topics"].pop(topic, None)
    for group in groups or ():
        await sio.leave_room(sid, group)
    await sio.save_session(sid, session)
    return groups is not None


async def _subscribe(sid: str, data: Any, reply: str) -> None:
    if await _limited(sid):
        return
    room = _room_of(data)
    try:
        if room is None:
            raise ValidationFailed("'room' is required.")
        await _join(sid, room)
    except ValidationFailed:
        await sio.emit("validation_error", _error("'room' must be 1-48 letters, digits, '_' or '-'."), to=sid)
        return
    await sio.emit(reply, {"status": "success", "room": room}, to=sid)


async def _unsubscribe(sid: str, data: Any, reply: str) -> None:
    if await _limited(sid):
        return
    room = _room_of(data)
    if room is None:
        await sio.emit("validation_error", _error("'room' is required."), to=sid)
        return
    left = await _leave(sid, room)
    await sio.emit(reply, {"status": "success" if left else "not_subscribed", "room": room}, to=sid)


@sio.event
async def join_room(sid: str, data: Any = None) -> None:
    await _subscribe(sid, data, "room_joined")


@sio.event
async def subscribe(sid: str, data: Any = None) -> None:
    await _subscribe(sid, data, "subscribed")


@sio.event
async def leave_room(sid: str, data: Any = None) -> None:
    await _unsubscribe(sid, data, "room_left")


@sio.event
async def unsubscribe(sid: str, data: Any = None) -> None:
    await _unsubscribe(sid, data, "unsubscribed")


def _stream_id(data: Any) -> str | None:
    value = data.get("stream_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and STREAM_ID.match(value) else None


@sio.event
async def subscribe_stream(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    stream_id = _stream_id(data)
    if stream_id is None:
        await sio.emit("validation_error", _error("'stream_id' must be 1-40 letters, digits, '_' or '-'."), to=sid)
        return
    await _join(sid, f"stream_{stream_id}")
    await sio.emit("stream_subscribed", {"status": "success", "stream_id": stream_id}, to=sid)


@sio.event
async def unsubscribe_stream(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    stream_id = _stream_id(data)
    if stream_id is None:
        await sio.emit("validation_error", _error("'stream_id' must be 1-40 letters, digits, '_' or '-'."), to=sid)
        return
    left = await _leave(sid, f"stream_{stream_id}")
    await sio.emit(
        "stream_unsubscribed", {"status": "success" if left else "not_subscribed", "stream_id": stream_id}, to=sid
    )


@sio.event
async def ping(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    await sio.emit("pong", {"status": "success", "timestamp": timezone.now().isoformat()}, to=sid)


@sio.event
async def request_data(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in ("health_data", "device_status", "analytics"):
        await sio.emit("validation_error", _error("'type' must be health_data, device_status or analytics."), to=sid)
        return
    await sio.emit(
        "error", _error(f"request_data '{kind}' is not available: the device domain is not installed yet."), to=sid
    )


asgi_app = socketio.ASGIApp(sio, socketio_path="socket.io")
