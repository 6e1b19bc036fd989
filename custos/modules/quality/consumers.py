"""The SQAL WebSockets (notes.md "sqal (004)").

``/ws/sensors/`` (``StationConsumer``): a station (ESP32) connects with its device token
(``?token=dvt_...``, issued by ``POST /api/admin/devices/{device_id}/token``); no Origin is needed. The
server sends ``connection_established`` at once, then answers ``esp32_hello`` (``hello_ack``, then the
pending ``ota_available`` offers of ``custos.devices.ota``), ``heartbeat`` (``heartbeat_ack`` and the
offers), ``ota_progress`` (the OTA log's reply, if any), ``ping`` (``pong``) and ``sensor_data``
(``ack`` or ``validation_error``). A frame is validated, analysed and stored off the event loop (one
call on a database thread), so a 140 KB frame never blocks other connections. More than
``QUALITY_WS_RATE_LIMIT`` messages in a minute on one connection are
refused with ``rate_limit_exceeded``; a frame larger than ``QUALITY_WS_MAX_FRAME_BYTES`` is refused
with a ``validation_error`` naming the limit.

``/ws/realtime/`` (``RealtimeConsumer``): a dashboard connects with an access token (``?token=``); it
receives ``sensor_update`` for every sample stored in its user's organizations (``quality`` topic)
and ``alert`` for quality alerts, filtered by ``subscribe {device_ids, grades, min_score}``;
``get_latest`` answers the latest samples.

Delivery of ``sensor_update``: every sample is published on the ``quality`` topic (``custos.events``:
Redis in scaled mode, the ``EventRelay`` table in embedded mode). In embedded mode the relay is polled
(every 0.2 s), so the process that stored the sample also hands it at once to its own dashboards through
the ``quality-live.<org id>`` group; a dashboard delivers each sample once (by sample id), whichever
path brings it first. The message text is serialised once per sample for every dashboard of the process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from typing import Any
from urllib.parse import parse_qs

import orjson
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from custos.devices import ota
from custos.devices.presence import SeenThrottle
from custos.devices.services import device_authenticate
from custos.events.relay import poller
from custos.kernel.context import WriteContext
from custos.modules.quality import selectors
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.services import (
    SENSOR_UPDATE,
    TOPIC,
    FrameErrors,
    Stored,
    parse_frame,
    sample_ingest,
    station_heartbeat,
    station_hello,
)

logger = logging.getLogger("custos.quality")

AUTH_FAILED = 4401
RATE_WINDOW_SECONDS = 60.0
ALERTS_TOPIC = "alerts"
SEEN_KEEP = 1024
GROUP_RENEW_SECONDS = 3600.0
OUTBOX_SIZE = 256  # sensor_update messages waiting for one dashboard; beyond, that dashboard misses some


def render_update(payload: dict[str, Any]) -> str:
    return orjson.dumps({"type": "sensor_update", **payload}, default=str).decode()


class LiveHub:
    """This process's fan-out of ``sensor_update`` to its dashboards.

    For each organization its dashboards watch, one channel of the channel layer joins
    ``org.<id>.quality``, so an event from the relay (embedded) or Redis (scaled) is received, copied and
    serialised once, not once per dashboard. A sample stored by this process is handed over at once
    (``local``), without waiting for the relay's poll; the copy that arrives later is recognised by its
    sample id and dropped. Each dashboard gets the text through its own bounded outbox, so one that does
    not read never holds up the others.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.feeds: dict[str, tuple[str, asyncio.Task, set[RealtimeConsumer]]] = {}
        self.seen: OrderedDict[str, None] = OrderedDict()

    def _on_this_loop(self) -> bool:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (a test, a restarted server): start afresh
            self.loop, self.feeds, self.seen = loop, {}, OrderedDict()
        return True

    async def join(self, consumer: RealtimeConsumer) -> None:
        self._on_this_loop()
        layer = get_channel_layer()
        for org in consumer.org_ids:
            key = str(org)
            feed = self.feeds.get(key)
            if feed is None or feed[1].done():
                channel = await layer.new_channel("quality-live.")
                await layer.group_add(f"org.{key}.{TOPIC}", channel)
                task = asyncio.get_running_loop().create_task(self._receive(layer, channel, key))
                feed = self.feeds[key] = (channel, task, set())
            feed[2].add(consumer)

    async def leave(self, consumer: RealtimeConsumer) -> None:
        if self.loop is not asyncio.get_running_loop():
            return
        layer = get_channel_layer()
        for org in getattr(consumer, "org_ids", []):
            key = str(org)
            feed = self.feeds.get(key)
            if feed is None:
                continue
            channel, task, members = feed
            members.discard(consumer)
            if not members:
                del self.feeds[key]
                task.cancel()
                await layer.group_discard(f"org.{key}.{TOPIC}", channel)

    async def _receive(self, layer: Any, channel: str, organization: str) -> None:
        renewed = time.monotonic()
        pending: asyncio.Task | None = None
        try:
            while True:
                # The receive is never cancelled (a cancelled receive unsubscribes a Redis channel);
                # the wait times out now and then to renew the membership, which the in-memory layer
                # would expire after a day.
                if pending is None:
                    pending = asyncio.get_running_loop().create_task(layer.receive(channel))
                done, _ = await asyncio.wait({pending}, timeout=GROUP_RENEW_SECONDS)
                if time.monotonic() - renewed >= GROUP_RENEW_SECONDS:
                    await layer.group_add(f"org.{organization}.{TOPIC}", channel)
                    renewed = time.monotonic()
                if not done:
                    continue
                finished, pending = pending, None
                try:
                    message = finished.result()
                except Exception:  # a broken layer connection: the layer reconnects on the next receive
                    logger.exception("quality live feed: receive failed")
                    await asyncio.sleep(1)
                    continue
                if message.get("topic") == TOPIC and message.get("event") == SENSOR_UPDATE:
                    self.dispatch(organization, message.get("payload") or {})
        finally:
            if pending is not None:
                pending.cancel()

    def local(self, organization_id: Any, payload: dict[str, Any]) -> None:
        """A sample this process has just stored (after commit)."""
        if self.loop is asyncio.get_running_loop():
            self.dispatch(str(organization_id), payload)

    def dispatch(self, organization: str, payload: dict[str, Any]) -> None:
        sample = str(payload.get("id"))
        if sample in self.seen:
            return
        self.seen[sample] = None
        if len(self.seen) > SEEN_KEEP:
            self.seen.popitem(last=False)
        feed = self.feeds.get(organization)
        text: str | None = None
        for consumer in feed[2] if feed else ():
            if consumer.wanted(payload):
                text = text or render_update(payload)
                consumer.offer(text)


hub = LiveHub()


def max_frame_bytes() -> int:
    return int(getattr(settings, "QUALITY_WS_MAX_FRAME_BYTES", 512 * 1024))


def rate_limit() -> int:
    return int(getattr(settings, "QUALITY_WS_RATE_LIMIT", 100))


def concurrent_ingest() -> bool:
    """Whether frames of different stations are stored concurrently (PostgreSQL: each on a thread of the
    executor, so database round trips overlap). SQLite has one writer at a time: frames are stored on the
    one database thread, in turn."""
    return not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


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
        # last_seen at most once every DEVICES_LAST_SEEN_INTERVAL_SECONDS from this connection's frames
        self.presence = SeenThrottle(self.device.pk)
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
            await self.send_offers()
        elif kind == "heartbeat":
            await database_sync_to_async(station_heartbeat)(self.ctx, device=self.device, data=content)
            await self.send_json({"type": "heartbeat_ack", "server_time": _now()})
            await self.send_offers()
        elif kind == "ota_progress":
            reply = await database_sync_to_async(ota.record_progress)(self.device, content)
            if reply is not None:
                await self.send_json(reply)
        elif kind == "sensor_data":
            await self.sensor_data(content)
        else:
            await self.send_json(
                {
                    "type": "error",
                    "message": "type must be esp32_hello, heartbeat, ping, sensor_data or ota_progress.",
                }
            )

    async def send_offers(self) -> None:
        """The firmware updates waiting for this device (``ota_available``), after hello and heartbeat."""
        for offer in await database_sync_to_async(ota.offers_for)(self.device):
            await self.send_json(offer)

    def ingest(self, content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """Validate, analyse and store a frame (on a database thread): the reply and, for a new sample, its
        ``sensor_update`` payload for this process's dashboards."""
        try:
            frame = parse_frame(content, device_id=self.device.device_id)
        except FrameErrors as exc:
            return {"type": "validation_error", "sample_id": exc.sample_id, "errors": exc.errors}, None
        stored: Stored = sample_ingest(self.ctx, device=self.device, frame=frame, seen=self.presence)
        ack = {
            "type": "ack",
            "sample_id": stored.sample.sample_id,
            "status": "saved",
            "duplicate": not stored.created,
            "fusion_score": stored.sample.fusion_score,
            "fusion_grade": stored.sample.grade,
            "certification_hash": stored.sample.certification_hash,
        }
        return ack, stored.payload

    async def sensor_data(self, content: dict[str, Any]) -> None:
        ingest = database_sync_to_async(self.ingest, thread_sensitive=not concurrent_ingest())
        reply, payload = await ingest(content)
        await self.send_json(reply)
        if payload is not None:
            hub.local(self.device.organization_id, payload)


class RealtimeConsumer(JsonConsumer):
    async def connect(self) -> None:
        await poller.ensure_started()
        self.user = await database_sync_to_async(selectors.user_for_access_token)(_query_token(self.scope))
        if self.user is None:
            await self.close(code=AUTH_FAILED)
            return
        self.org_ids = await database_sync_to_async(selectors.member_org_ids)(user=self.user)
        # sensor_update comes through the process's hub; alerts (rare) straight from the layer
        self.groups_joined = [f"org.{org}.{ALERTS_TOPIC}" for org in self.org_ids]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.filters: dict[str, Any] = {"device_ids": None, "grades": None, "min_score": None}
        self.seen: deque[str] = deque(maxlen=256)
        self.outbox: asyncio.Queue[str] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self.dropped = 0
        await self.accept()
        self.sender = asyncio.get_running_loop().create_task(self._send_outbox())
        await hub.join(self)
        await self.send_json(
            {
                "type": "connection_established",
                "message": "Connected to the SQAL real-time stream.",
                "user_id": str(self.user.pk),
                "server_time": _now(),
            }
        )

    async def disconnect(self, code: int) -> None:
        await hub.leave(self)
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def offer(self, text: str) -> None:
        """A ``sensor_update`` for this dashboard (from the hub): queued, or dropped when it lags by
        ``OUTBOX_SIZE`` messages."""
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _send_outbox(self) -> None:
        while True:
            await self.send(text_data=await self.outbox.get())

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
        if message.get("topic") == ALERTS_TOPIC and payload.get("source") == "quality":
            await self.send_json({"type": "alert", "alert": payload})
