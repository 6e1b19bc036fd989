"""``/ws/events/``: the plain-WebSocket view of the event stream (Channels).

Connect with ``?token=<access token>``, an ``Authorization: Bearer`` header or the access cookie.
Client messages (JSON): ``{"type": "subscribe", "topic": "jobs"}``, ``{"type": "unsubscribe", ...}``,
``{"type": "ping"}``. Server messages: ``connection_established``, ``subscribed``, ``unsubscribed``,
``pong``, ``error`` and ``{"type": "event", "topic", "event", "payload"}`` for each delivered event.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from custos.events.relay import poller
from custos.events.selectors import subscription_groups, token_from_handshake, user_for_token
from custos.kernel.errors import ValidationFailed

AUTH_FAILED = 4401


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await poller.ensure_started()
        token = token_from_handshake(
            query_string=self.scope.get("query_string", b"").decode("latin-1"),
            authorization=_header(self.scope, b"authorization"),
            cookie_header=_header(self.scope, b"cookie"),
        )
        self.user = await sync_to_async(user_for_token)(token=token)
        self.topics: dict[str, list[str]] = {}
        self.recent: deque[str | None] = deque(maxlen=256)
        await self.accept()
        if self.user is None:
            await self.send_json({"type": "auth_failed", "message": "A valid access token is required."})
            await self.close(code=AUTH_FAILED)
            return
        await self.send_json(
            {"type": "connection_established", "user_id": str(self.user.pk), "server_time": timezone.now().isoformat()}
        )

    async def disconnect(self, code: int) -> None:
        for groups in getattr(self, "topics", {}).values():
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if getattr(self, "user", None) is None:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong", "timestamp": timezone.now().isoformat()})
            return
        if kind not in ("subscribe", "unsubscribe"):
            await self.send_json({"type": "error", "message": "type must be subscribe, unsubscribe or ping."})
            return
        topic = content.get("topic")
        if kind == "unsubscribe":
            for group in self.topics.pop(topic, []) if isinstance(topic, str) else []:
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"type": "unsubscribed", "topic": topic})
            return
        try:
            groups = await sync_to_async(subscription_groups)(user=self.user, topic=topic)
        except ValidationFailed as exc:
            await self.send_json({"type": "error", "message": exc.message})
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.topics[topic] = groups
        await self.send_json({"type": "subscribed", "topic": topic})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self.send_json({"type": "error", "message": "Messages must be JSON objects."})

    async def custos_event(self, message: dict[str, Any]) -> None:
        if message.get("id") in self.recent:  # the same event through another of our groups
            return
        self.recent.append(message.get("id"))
        await self.send_json(
            {"type": "event", "topic": message["topic"], "event": message["event"], "payload": message["payload"]}
        )
