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

from custos.devices.choices import DEVICE_ID_PATTERN
from custos.events.providers import data_kinds, data_provider
from custos.events.relay import poller
from custos.events.selectors import (
    active_organization_ids,
    stream_organizations,
    subscription_groups,
    token_from_handshake,
    user_for_token,
    user_role,
)
from custos.events.services import _json_safe
from custos.events.sio import sio
from custos.events.streams import mark_subscribed, stream_room
from custos.events.ticker import DASHBOARD_EVENT, DASHBOARD_ROOM, DASHBOARD_TOPIC, ticker
from custos.kernel.errors import DomainError, ValidationFailed

STREAM_ID = re.compile(DEVICE_ID_PATTERN)
STREAM_PREFIX = "stream_"
RATE_LIMIT = 100  # messages per connection
RATE_WINDOW = 60.0  # seconds
SPEC_DATA_KINDS = ("health_data", "device_status", "analytics")


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
    await ticker.ensure_started()
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
    await sio.save_session(sid, {"user": user, "user_id": str(user.pk), "role": role, "topics": {}, "streams": {}})
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


async def _join(sid: str, topic: str) -> list[str]:
    session = await sio.get_session(sid)
    groups = await sync_to_async(subscription_groups)(user=session["user"], topic=topic)
    for group in groups:
        await sio.enter_room(sid, group)
    session["topics"][topic] = groups
    await sio.save_session(sid, session)
    return groups


async def _leave(sid: str, topic: str) -> bool:
    session = await sio.get_session(sid)
    groups = session["topics"].pop(topic, None)
    for group in groups or ():
        await sio.leave_room(sid, group)
    await sio.save_session(sid, session)
    return groups is not None


async def _join_stream(sid: str, stream_id: str) -> bool:
    """Join ``stream_<stream_id>`` in each of the user's organizations that has that device; ``False``
    (nothing joined) when none has it, whether or not another organization does."""
    session = await sio.get_session(sid)
    organizations = await sync_to_async(stream_organizations)(user=session["user"], device_id=stream_id)
    if not organizations:
        return False
    rooms = [stream_room(organization_id, stream_id) for organization_id in organizations]
    for room in rooms:
        await sio.enter_room(sid, room)
    session["streams"][stream_id] = rooms
    await sio.save_session(sid, session)
    await sync_to_async(mark_subscribed)([(organization_id, stream_id) for organization_id in organizations])
    return True


async def _leave_stream(sid: str, stream_id: str) -> bool:
    session = await sio.get_session(sid)
    rooms = session["streams"].pop(stream_id, None)
    for room in rooms or ():
        await sio.leave_room(sid, room)
    await sio.save_session(sid, session)
    return rooms is not None


def _not_found(stream_id: str) -> dict[str, str]:
    return _error(f"Device {stream_id!r} not found.")


async def _first_dashboards(sid: str, groups: list[str]) -> None:
    """A new member of ``dashboard_updates`` gets the current figures at once, then every interval."""
    for group in groups:
        match = DASHBOARD_ROOM.match(group)
        if match is None:
            continue
        payload = await ticker.dashboard_for(match.group(1))
        if payload is not None:
            await sio.emit(DASHBOARD_EVENT, payload, to=sid)


async def _subscribe(sid: str, data: Any, reply: str) -> None:
    if await _limited(sid):
        return
    room = _room_of(data)
    if room is not None and room.startswith(STREAM_PREFIX) and STREAM_ID.match(room[len(STREAM_PREFIX) :]):
        stream_id = room[len(STREAM_PREFIX) :]
        if not await _join_stream(sid, stream_id):
            await sio.emit("error", _not_found(stream_id), to=sid)
            return
        await sio.emit(reply, {"status": "success", "room": room}, to=sid)
        return
    try:
        if room is None:
            raise ValidationFailed("'room' is required.")
        groups = await _join(sid, room)
    except ValidationFailed:
        await sio.emit("validation_error", _error("'room' must be 1-48 letters, digits, '_' or '-'."), to=sid)
        return
    await sio.emit(reply, {"status": "success", "room": room}, to=sid)
    if room == DASHBOARD_TOPIC:
        await _first_dashboards(sid, groups)


async def _unsubscribe(sid: str, data: Any, reply: str) -> None:
    if await _limited(sid):
        return
    room = _room_of(data)
    if room is None:
        await sio.emit("validation_error", _error("'room' is required."), to=sid)
        return
    if room.startswith(STREAM_PREFIX) and STREAM_ID.match(room[len(STREAM_PREFIX) :]):
        left = await _leave_stream(sid, room[len(STREAM_PREFIX) :])
    else:
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


STREAM_ID_MESSAGE = "'stream_id' must be a device id: letters, digits, '_', '-', '.', ':' (at most 64)."


def _stream_id(data: Any) -> str | None:
    value = data.get("stream_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and STREAM_ID.match(value) else None


@sio.event
async def subscribe_stream(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    stream_id = _stream_id(data)
    if stream_id is None:
        await sio.emit("validation_error", _error(STREAM_ID_MESSAGE), to=sid)
        return
    if not await _join_stream(sid, stream_id):
        await sio.emit("error", _not_found(stream_id), to=sid)
        return
    await sio.emit("stream_subscribed", {"status": "success", "stream_id": stream_id}, to=sid)


@sio.event
async def unsubscribe_stream(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    stream_id = _stream_id(data)
    if stream_id is None:
        await sio.emit("validation_error", _error(STREAM_ID_MESSAGE), to=sid)
        return
    left = await _leave_stream(sid, stream_id)
    await sio.emit(
        "stream_unsubscribed", {"status": "success" if left else "not_subscribed", "stream_id": stream_id}, to=sid
    )


@sio.event
async def ping(sid: str, data: Any = None) -> None:
    if await _limited(sid):
        return
    await sio.emit("pong", {"status": "success", "timestamp": timezone.now().isoformat()}, to=sid)


def _answer(provider: Any, user: Any, filters: dict[str, Any]) -> Any:
    return _json_safe(provider(user=user, organization_ids=active_organization_ids(user=user), filters=filters))


@sio.event
async def request_data(sid: str, data: Any = None) -> None:
    """``{type, filters?}`` -> ``data_response {status, type, data, timestamp}`` from the type's provider."""
    if await _limited(sid):
        return
    kind = data.get("type") if isinstance(data, dict) else None
    provider = data_provider(kind)
    if provider is None:
        kinds = data_kinds() or list(SPEC_DATA_KINDS)
        await sio.emit("validation_error", _error(f"'type' must be one of {', '.join(kinds)}."), to=sid)
        return
    filters = data.get("filters")
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        await sio.emit("validation_error", _error("'filters' must be an object."), to=sid)
        return
    session = await sio.get_session(sid)
    try:
        answer = await sync_to_async(_answer)(provider, session["user"], filters)
    except ValidationFailed as exc:
        await sio.emit("validation_error", _error(exc.message), to=sid)
        return
    except DomainError as exc:
        await sio.emit("error", _error(exc.message), to=sid)
        return
    await sio.emit(
        "data_response",
        {"status": "success", "type": kind, "data": answer, "timestamp": timezone.now().isoformat()},
        to=sid,
    )


asgi_app = socketio.ASGIApp(sio, socketio_path="socket.io")
