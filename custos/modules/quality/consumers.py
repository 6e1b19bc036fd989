"""The SQAL WebSockets (notes.md "sqal (004)").

``/ws/sensors/`` (``StationConsumer``): a station (ESP32) connects with its device token
(``?token=dvt_...``, issued by ``POST /api/admin/devices/{device_id}/token``); no Origin is needed. The
server sends ``connection_established`` at once, then answers ``esp32_hello`` (``hello_ack``),
``heartbeat`` (``heartbeat_ack``), ``ping`` (``pong``) and ``sensor_data`` (``ack`` or
``validation_error``). More than ``QUALITY_WS_RATE_LIMIT`` messages in a minute on one connection are
refused with ``rate_limit_exceeded``; a frame larger than ``QUALITY_WS_MAX_FRAME_BYTES`` is refused
with a ``validation_error`` naming the limit.

``/ws/realtime/`` (``RealtimeConsumer``): a dashboard connects with an access token (``?token=``); it
receives ``sensor_update`` for every sample stored in its user's organizations (``quality`` topic)
and ``alert`` for quality alerts, filtered by ``subscribe {device_ids, grades, min_score}``;
``get_latest`` answers the latest samples.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from custos.devices.services import device_authenticate
from custos.events.relay import poller
from custos.kernel.context import WriteContext
from custos.modules.quality import selectors
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.services import (
    SENSOR_UPDATE,
    TOPIC,
    FrameErrors,
    parse_frame,
    sample_ingest,
    station_heartbeat,
    station_hello,
)

AUTH_FAILED = 4401
RATE_WINDOW_SECONDS = 60.0
ALERTS_TOPIC = "alerts"


def max_frame_bytes() -> int:
    return int(getattr(settings, "QUALITY_WS_MAX_FRAME_BYTES", 512 * 1024))


def rate_limit() -> int:
    return int(getattr(settings, "QUALITY_WS_RATE_LIMIT", 100))


def _query_token(scope: dict[str, Any]) -> str:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else ""


def _now() -> str:
    return timezone.now().isoformat()


class JsonConsumer(AsyncJsonWebsocketConsumer):
    """orjson in both directions; a frame that is not a JSON object gets an ``error``."""

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        return orjson.loads(text_data)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        raw = text_data if text_data is not None else bytes_data
        if raw is None:
            return
        if not await self.admit(len(raw)):
            return
        try:
            content = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.send_json({"type": "error", "message": "Messages must be JSON objects."})
            return
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "message": "Messages must be JSON objects."})
            return
        await self.receive_json(content)

    async def admit(self, size: int) -> bool:
        return True


class StationConsumer(JsonConsumer):
    async def connect(self) -> None:
        token = _query_token(self.scope)
        device = await database_sync_to_async(device_authenticate)(raw=token) if token else None
        if device is None:
            await self.close(code=AUTH_FAILED)  # before accept: the handshake is refused
            return
        self.device: Any = device
        self.ctx = WriteContext(device=self.device, organization_id=self.device.organization_id)
        self.recent: deque[float] = deque()
        await self.accept()
        await self.send_json(
            {
                "type": "connection_established",
                "message": f"Connected as {self.device.device_id}.",
                "device_id": self.device.device_id,
                "server_time": _now(),
            }
        )

    async def admit(self, size: int) -> bool:
        now = time.monotonic()
        while self.recent and now - self.recent[0] >= RATE_WINDOW_SECONDS:
            self.recent.popleft()
        if len(self.recent) >= rate_limit():
            retry = max(1, int(RATE_WINDOW_SECONDS - (now - self.recent[0]) + 0.999))
            await self.send_json(
                {"type": "rate_limit_exceeded", "retry_after_seconds": retry, "limit_per_minute": rate_limit()}
            )
            return False
        self.recent.append(now)
        limit = max_frame_bytes()
        if size > limit:
            await self.send_json(
                {
                    "type": "validation_error",
                    "sample_id": None,
                    "errors": [{"field": "frame", "message": f"Frame of {size} bytes exceeds the limit of {limit}."}],
                    "max_frame_bytes": limit,
                }
            )
            return False
        return True

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong", "timestamp": _now()})
        elif kind == "esp32_hello":
            await database_sync_to_async(station_hello)(self.ctx, device=self.device, data=content)
            await self.send_json(
                {
                    "type": "hello_ack",
                    "device_id": self.device.device_id,
                    "message": "Welcome.",
                    "server_time": _now(),
                    "rate_limit_per_minute": rate_limit(),
                    "max_frame_bytes": max_frame_bytes(),
                }
            )
        elif kind == "heartbeat":
            await database_sync_to_async(station_heartbeat)(self.ctx, device=self.device, data=content)
            await self.send_json({"type": "heartbeat_ack", "server_time": _now()})
        elif kind == "sensor_data":
            await self.sensor_data(content)
        else:
            await self.send_json(
                {"type": "error", "message": "type must be esp32_hello, heartbeat, ping or sensor_data."}
            )

    async def sensor_data(self, content: dict[str, Any]) -> None:
        try:
            frame = parse_frame(content, device_id=self.device.device_id)
        except FrameErrors as exc:
            await self.send_json({"type": "validation_error", "sample_id": exc.sample_id, "errors": exc.errors})
            return
        stored = await database_sync_to_async(sample_ingest)(self.ctx, device=self.device, frame=frame)
        await self.send_json(
            {
                "type": "ack",
                "sample_id": stored.sample.sample_id,
                "status": "saved",
                "duplicate": not stored.created,
                "fusion_score": stored.sample.fusion_score,
                "fusion_grade": stored.sample.grade,
                "certification_hash": stored.sample.certification_hash,
            }
        )


class RealtimeConsumer(JsonConsumer):
    async def connect(self) -> None:
        await poller.ensure_started()
        self.user = await database_sync_to_async(selectors.user_for_access_token)(_query_token(self.scope))
        if self.user is None:
            await self.close(code=AUTH_FAILED)
            return
        self.org_ids = await database_sync_to_async(selectors.member_org_ids)(user=self.user)
        self.groups_joined = [f"org.{org}.{topic}" for org in self.org_ids for topic in (TOPIC, ALERTS_TOPIC)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.filters: dict[str, Any] = {"device_ids": None, "grades": None, "min_score": None}
        self.seen: deque[str] = deque(maxlen=256)
        await self.accept()
        await self.send_json(
            {
                "type": "connection_established",
                "message": "Connected to the SQAL real-time stream.",
                "user_id": str(self.user.pk),
                "server_time": _now(),
            }
        )

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("command") or content.get("type")
        if kind == "subscribe":
            await self.subscribe(content)
        elif kind == "get_latest":
            await self.latest(content)
        elif kind in ("heartbeat", "ping"):
            await self.send_json({"type": "pong" if kind == "ping" else "heartbeat_ack", "server_time": _now()})
        else:
            await self.send_json({"type": "error", "message": "command must be subscribe, get_latest or heartbeat."})

    async def subscribe(self, content: dict[str, Any]) -> None:
        errors: list[dict[str, str]] = []
        device_ids, grades, min_score = content.get("device_ids"), content.get("grades"), content.get("min_score")
        if device_ids is not None and not (
            isinstance(device_ids, list) and all(isinstance(d, str) for d in device_ids)
        ):
            errors.append({"field": "device_ids", "message": "A list of device ids."})
        if grades is not None and not (isinstance(grades, list) and all(g in GRADES for g in grades)):
            errors.append({"field": "grades", "message": f"A list of grades among {', '.join(GRADES)}."})
        if min_score is not None and (
            isinstance(min_score, bool) or not isinstance(min_score, (int, float)) or not 0 <= min_score <= 1
        ):
            errors.append({"field": "min_score", "message": "A number between 0 and 1."})
        if errors:
            await self.send_json({"type": "validation_error", "errors": errors})
            return
        self.filters = {
            "device_ids": set(device_ids) if device_ids else None,
            "grades": set(grades) if grades else None,
            "min_score": float(min_score) if min_score is not None else None,
        }
        await self.send_json(
            {
                "type": "subscription_updated",
                "filters": {
                    "device_ids": sorted(self.filters["device_ids"] or []),
                    "grades": sorted(self.filters["grades"] or []),
                    "min_score": self.filters["min_score"],
                },
            }
        )

    def wanted(self, payload: dict[str, Any]) -> bool:
        filters = self.filters
        if filters["device_ids"] is not None and payload.get("device_id") not in filters["device_ids"]:
            return False
        fusion = payload.get("fusion") or {}
        if filters["grades"] is not None and fusion.get("final_grade") not in filters["grades"]:
            return False
        return not (filters["min_score"] is not None and (fusion.get("final_score") or 0) < filters["min_score"])

    async def latest(self, content: dict[str, Any]) -> None:
        limit = content.get("limit", 10)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100:
            limit = 10
        samples = await database_sync_to_async(selectors.latest_payloads)(org_ids=self.org_ids, limit=limit * 5)
        samples = [payload for payload in samples if self.wanted(payload)][:limit]
        await self.send_json({"type": "latest", "count": len(samples), "samples": samples})

    async def custos_event(self, message: dict[str, Any]) -> None:
        event_id = str(message.get("id"))
        if event_id in self.seen:
            return
        self.seen.append(event_id)
        payload = message.get("payload") or {}
        if message.get("topic") == TOPIC and message.get("event") == SENSOR_UPDATE:
            if self.wanted(payload):
                await self.send_json({"type": "sensor_update", **payload})
        elif message.get("topic") == ALERTS_TOPIC and payload.get("source") == "quality":
            await self.send_json({"type": "alert", "alert": payload})
