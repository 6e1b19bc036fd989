"""MQTT ingestion (``custos mqtt``): device telemetry from an MQTT broker into the ingest service.

The bridge subscribes (QoS 1, its own connection to ``MQTT_URL``) to ``devices/<device_id>/telemetry``
and ``iot/device/<device_id>/data``. A payload is JSON, as the HTTP batch route takes it, plus the
device's credential (the broker has no auth plugin, so the bridge checks every message itself):

* ``{"token": "dvt_...", "readings": [{timestamp, value, metric?}, ...], "message_id"?: "..."}``;
* or the bare array ``[{timestamp, value, metric?}, ...]`` with the token in the MQTT 5 user property
  ``token`` (a user property also works with the object form).

The token must be the current token of the device named in the topic. Anything else (bad JSON, wrong
shape, no or bad token, another device's token, an invalid reading) is refused: logged, counted in
``Bridge.stats`` and never stored; one bad message never refuses another.

Messages are batched (at most ``MQTT_BATCH_SIZE`` messages, or what arrived within
``MQTT_BATCH_MILLISECONDS``) and stored in one transaction through ``readings_ingest`` (the HTTP
route's service: same validation, alarm rules, stream events). A message is acknowledged to the broker
only after its batch committed (paho's manual ack), so a crash loses nothing: the broker redelivers
(persistent MQTT 5 session, kept ``MQTT_SESSION_EXPIRY_SECONDS`` while the bridge is away). A
redelivered message that carries ``message_id`` is stored once
(idempotency key ``mqtt:<device_id>:<message_id>``, as ``Idempotency-Key`` on HTTP); without one,
delivery is at least once.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import ssl
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import close_old_connections, transaction
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from custos.devices.choices import DEVICE_ID_PATTERN
from custos.devices.models import Device
from custos.devices.services import device_authenticate, max_batch_rows, readings_ingest
from custos.kernel.context import WriteContext
from custos.kernel.errors import DomainError

logger = logging.getLogger("custos.mqtt")

TOPICS = ("devices/+/telemetry", "iot/device/+/data")
_TOPIC = re.compile(r"^(?:devices/([^/]+)/telemetry|iot/device/([^/]+)/data)$")
_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
MESSAGE_ID_MAX = 200


class Refused(Exception):
    """A message that is not stored: ``reason`` is the counter's name, ``detail`` the log line."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass
class Message:
    device_id: str
    token: str
    readings: list[Any]
    message_id: str | None = None
    mid: int = 0
    qos: int = 0


def _user_property(properties: Any, name: str) -> str | None:
    for key, value in getattr(properties, "UserProperty", None) or ():
        if key == name and isinstance(value, str):
            return value
    return None


def _device_of(topic: str) -> str:
    match = _TOPIC.match(topic)
    return (match.group(1) or match.group(2)) if match else ""


def parse(topic: str, payload: bytes, properties: Any = None) -> Message:
    """The message of ``payload`` on ``topic``, or ``Refused`` saying why it cannot be stored."""
    match = _TOPIC.match(topic)
    if match is None:
        raise Refused("bad_topic", f"topic {topic[:200]!r} is not a telemetry topic")
    device_id = match.group(1) or match.group(2)
    if not _DEVICE_ID.match(device_id):
        raise Refused("bad_topic", f"topic {topic[:200]!r}: not a device id")
    limit = int(getattr(settings, "DEVICES_INGEST_MAX_BODY_BYTES", 8 * 1024 * 1024))
    if len(payload) > limit:
        raise Refused("too_large", f"{device_id}: payload of {len(payload)} bytes; at most {limit}")
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise Refused("bad_json", f"{device_id}: payload is not JSON") from None
    token = _user_property(properties, "token")
    message_id = None
    if isinstance(body, dict):
        readings = body.get("readings")
        if isinstance(body.get("token"), str):
            token = body["token"]
        if "message_id" in body:
            message_id = body["message_id"]
            if not isinstance(message_id, str) or not (0 < len(message_id) <= MESSAGE_ID_MAX):
                raise Refused("bad_payload", f"{device_id}: message_id must be 1-{MESSAGE_ID_MAX} characters")
            if not message_id.isprintable():
                raise Refused("bad_payload", f"{device_id}: message_id must be printable")
    elif isinstance(body, list):
        readings = body
    else:
        raise Refused("bad_payload", f"{device_id}: payload must be an array of readings or an object")
    if not isinstance(readings, list) or not readings:
        raise Refused("bad_payload", f"{device_id}: 'readings' must be a non-empty array")
    if len(readings) > max_batch_rows():
        raise Refused("too_large", f"{device_id}: {len(readings)} readings; at most {max_batch_rows()}")
    if not token:
        raise Refused("no_token", f"{device_id}: no device token (payload 'token' or user property 'token')")
    return Message(device_id=device_id, token=token, readings=readings, message_id=message_id)


@dataclass
class Outcome:
    stored: list[Message] = field(default_factory=list)
    refused: list[tuple[Message, Refused]] = field(default_factory=list)


def _refusal(exc: DomainError) -> Refused:
    errors = exc.extra.get("errors") if isinstance(exc.extra, dict) else None
    detail = exc.message + (f" {errors[:5]}" if errors else "")
    return Refused("invalid_readings", detail)


def store(messages: Sequence[Message]) -> Outcome:
    """Store ``messages`` in one transaction (a savepoint per unit, so a bad one refuses only itself).

    Messages of one device without ``message_id`` are stored as one ingest call (and one by one when
    that call is refused, to find the bad one); each message with ``message_id`` is its own call with
    its idempotency key."""
    outcome = Outcome()
    devices: dict[str, Device | None] = {}  # token hash -> device, authenticated once per batch
    accepted: dict[Any, list[Message]] = defaultdict(list)
    by_pk: dict[Any, Device] = {}
    for message in messages:
        key = hashlib.sha256(message.token.encode()).hexdigest()
        if key not in devices:
            devices[key] = device_authenticate(raw=message.token)
        device = devices[key]
        if device is None:
            outcome.refused.append((message, Refused("bad_token", f"{message.device_id}: invalid device token")))
        elif device.device_id != message.device_id:
            detail = f"{message.device_id}: the token is another device's ({device.device_id})"
            outcome.refused.append((message, Refused("wrong_device", detail)))
        else:
            accepted[device.pk].append(message)
            by_pk[device.pk] = device

    def ingest(device: Device, group: list[Message], key: str | None) -> None:
        ctx = WriteContext(device=device, organization_id=device.organization_id, user_agent="mqtt")
        rows = [row for message in group for row in message.readings]
        with transaction.atomic():
            readings_ingest(ctx, device=device, rows=rows, idempotency_key=key)

    with transaction.atomic():
        for pk, group in accepted.items():
            device = by_pk[pk]
            plain = [m for m in group if m.message_id is None]
            units: list[tuple[list[Message], str | None]] = [
                ([m], f"mqtt:{device.device_id}:{m.message_id}") for m in group if m.message_id is not None
            ]
            if plain:
                units.insert(0, (plain, None))
            for unit, idempotency_key in units:
                try:
                    ingest(device, unit, idempotency_key)
                    outcome.stored.extend(unit)
                    continue
                except DomainError as exc:
                    if len(unit) == 1:
                        outcome.refused.append((unit[0], _refusal(exc)))
                        continue
                for message in unit:  # a merged unit was refused: find the bad message(s)
                    try:
                        ingest(device, [message], None)
                        outcome.stored.append(message)
                    except DomainError as exc:
                        outcome.refused.append((message, _refusal(exc)))
    return outcome


def broker_address(url: str) -> dict[str, Any]:
    """``mqtt://[user[:password]@]host[:port]`` (``mqtts``/``ssl``: TLS, default port 8883)."""
    parts = urlsplit(url)
    tls = parts.scheme in ("mqtts", "ssl")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or (8883 if tls else 1883),
        "tls": tls,
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }


def default_client_id() -> str:
    """Stable per installation, so the broker keeps the bridge's session (and queued messages) across restarts."""
    return "custos-ingest-" + hashlib.sha256(str(settings.CUSTOS_HOME).encode()).hexdigest()[:12]


class Bridge:
    """Subscribe, batch, store, acknowledge. ``run()`` blocks until ``stop()``."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        batch_size: int | None = None,
        batch_seconds: float | None = None,
        topics: Sequence[str] = TOPICS,
        session_expiry: int | None = None,
    ) -> None:
        self.address = broker_address(url)
        self.client_id = client_id or default_client_id()
        self.batch_size = batch_size or int(getattr(settings, "MQTT_BATCH_SIZE", 500))
        self.batch_seconds = (
            batch_seconds if batch_seconds is not None else getattr(settings, "MQTT_BATCH_MILLISECONDS", 200) / 1000
        )
        self.topics = tuple(topics)
        self.session_expiry = (
            session_expiry
            if session_expiry is not None
            else int(getattr(settings, "MQTT_SESSION_EXPIRY_SECONDS", 3600))
        )
        self.stats: Counter[str] = Counter()
        self.refusals: deque[tuple[str, str]] = deque(maxlen=1000)  # the latest (reason, device_id)
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        self._inbox: queue.Queue[Message] = queue.Queue(maxsize=self.batch_size * 4)  # back-pressure
        self._lock = threading.Lock()
        self._started = False
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.address["username"]:
            self.client.username_pw_set(self.address["username"], self.address["password"])
        if self.address["tls"]:
            self.client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # --- MQTT callbacks (paho's network thread) -----------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.error("MQTT connection refused: %s", reason_code)
            return
        logger.info("connected to the MQTT broker %s:%s", self.address["host"], self.address["port"])
        client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in self.topics])

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any) -> None:
        if all(not code.is_failure for code in reason_codes):
            self.subscribed.set()
        else:
            logger.error("MQTT subscription refused: %s", reason_codes)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        self.subscribed.clear()
        if not self._stopping.is_set():
            logger.warning("disconnected from the MQTT broker (%s); reconnecting", reason_code)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self._count("received")
        try:
            parsed = parse(message.topic, message.payload, getattr(message, "properties", None))
        except Refused as refusal:
            self._refuse(refusal, _device_of(message.topic))
            self._ack(message.mid, message.qos)
            return
        parsed.mid, parsed.qos = message.mid, message.qos
        self._inbox.put(parsed)  # blocks while the store is behind: paho stops reading from the broker

    # --- bookkeeping ----------------------------------------------------------------------------------

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.stats[name] += amount

    def _refuse(self, refusal: Refused, device_id: str = "") -> None:
        self.refusals.append((refusal.reason, device_id))
        self._count("refused")
        self._count(f"refused.{refusal.reason}")
        logger.warning("MQTT message refused (%s): %s", refusal.reason, refusal.detail)

    def _ack(self, mid: int, qos: int) -> None:
        if qos > 0:
            self.client.ack(mid, qos)

    # --- the store loop -------------------------------------------------------------------------------

    def _collect(self) -> list[Message]:
        try:
            batch = [self._inbox.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def flush(self, batch: list[Message]) -> None:
        """Store ``batch`` (retrying while the database is away), then acknowledge its messages."""
        delay = 0.5
        while True:
            try:
                close_old_connections()
                outcome = store(batch)
                break
            except Exception:
                if self._stopping.is_set():
                    return  # not acknowledged: the broker redelivers to the next bridge
                logger.exception("storing %d MQTT messages failed; retrying in %.1f s", len(batch), delay)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        self._count("stored", len(outcome.stored))
        self._count("readings", sum(len(m.readings) for m in outcome.stored))
        for message, refusal in outcome.refused:
            self._refuse(refusal, message.device_id)
        for message in batch:
            self._ack(message.mid, message.qos)
        self._count("batches")

    def start(self) -> None:
        self._started = True
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.connect_async(
            self.address["host"], self.address["port"], keepalive=30, clean_start=False, properties=properties
        )
        self.client.loop_start()

    def run(self) -> None:
        """Store batches until ``stop()``; connects first when ``start()`` was not called."""
        if not self._started:
            self.start()
        while not self._stopping.is_set():
            batch = self._collect()
            if batch:
                self.flush(batch)
        self.client.disconnect()
        self.client.loop_stop()

    def stop(self) -> None:
        self._stopping.set()
