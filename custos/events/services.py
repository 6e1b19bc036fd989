"""Publishing real-time events: ``publish`` delivers only once the publishing transaction commits.

Two delivery paths, chosen by the run mode (docs/architecture.md, "Events"):

* scaled (``REDIS_URL`` set): after commit, the event goes to the Channels layer (Redis pub/sub) for
  Channels consumers and to Socket.IO through a write-only Redis manager, so it reaches clients of
  every server process whichever process (server or worker) published it;
* embedded: the event is written to the ``EventRelay`` table in the caller's transaction; each server
  process polls that table (``custos.events.relay``) and hands new rows to its own in-memory channel
  layer and Socket.IO server. A rollback removes the row, so a rolled-back event is never delivered.

Groups (Channels) and rooms (Socket.IO) have the same names: ``org.<org id>.<topic>`` for events every
member of the organization may see; private events (``user_id`` given, e.g. job progress) go to
``user.<user id>.<topic>`` and ``org.<org id>.<topic>.admins`` only.
"""

from __future__ import annotations

import re
import uuid
from functools import partial
from typing import Any

import orjson
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction

from custos.events.models import EventRelay
from custos.kernel.errors import ValidationFailed

TOPIC = re.compile(r"^[A-Za-z0-9_\-]{1,48}$")
EVENT_MESSAGE_TYPE = "custos.event"


def relay_mode() -> bool:
    """Whether events travel through the database relay (no Redis: embedded mode)."""
    return not settings.REDIS_URL


def validate_topic(topic: str) -> str:
    if not isinstance(topic, str) or not TOPIC.match(topic):
        raise ValidationFailed("A topic is 1-48 letters, digits, '_' or '-'.", field_errors={"topic": ["Invalid."]})
    return topic


def event_groups(*, organization_id: Any, topic: str, user_id: Any = None) -> list[str]:
    """The Channels groups / Socket.IO rooms an event goes to."""
    if user_id is not None:
        groups = [f"user.{user_id}.{topic}"]
        if organization_id is not None:
            groups.append(f"org.{organization_id}.{topic}.admins")
        return groups
    if organization_id is None:
        raise ValidationFailed("An event for everyone in an organization needs the organization.")
    return [f"org.{organization_id}.{topic}"]


def _json_safe(payload: Any) -> Any:
    return orjson.loads(orjson.dumps(payload, default=str))


def publish(
    *,
    organization_id: Any,
    topic: str,
    payload: dict[str, Any],
    event: str | None = None,
    user_id: Any = None,
) -> None:
    """Send ``payload`` as ``event`` (default: the topic) to subscribers of ``topic``, after commit.

    With ``user_id`` the event is private: only that user and the organization's admins receive it.
    """
    validate_topic(topic)
    event = event or topic
    payload = _json_safe(payload)
    if relay_mode():
        EventRelay.objects.create(
            organization_id=organization_id, user_id=user_id, topic=topic, event=event, payload=payload
        )
        return
    groups = event_groups(organization_id=organization_id, topic=topic, user_id=user_id)
    transaction.on_commit(partial(broadcast, groups=groups, topic=topic, event=event, payload=payload))


def channel_message(*, event_id: str, topic: str, event: str, payload: Any) -> dict[str, Any]:
    # ``id`` lets a consumer that sits in several of the event's groups deliver it once.
    return {"type": EVENT_MESSAGE_TYPE, "id": event_id, "topic": topic, "event": event, "payload": payload}


_socketio_writer: Any = None


def _socketio_manager() -> Any:
    global _socketio_writer
    if _socketio_writer is None:
        import socketio

        _socketio_writer = socketio.RedisManager(settings.REDIS_URL, write_only=True)
    return _socketio_writer


async def _group_send(groups: list[str], message: dict[str, Any]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    for group in groups:
        await layer.group_send(group, message)


def broadcast(*, groups: list[str], topic: str, event: str, payload: Any) -> None:
    """Scaled delivery (called after commit): Channels layer and Socket.IO through Redis."""
    message = channel_message(event_id=uuid.uuid4().hex, topic=topic, event=event, payload=payload)
    async_to_sync(_group_send)(groups, message)
    # One emit to the list of rooms: a connection in several of them receives the event once.
    _socketio_manager().emit(event, payload, room=groups, namespace="/")
