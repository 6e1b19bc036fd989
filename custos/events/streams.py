"""Live telemetry for Socket.IO streams (``stream_<device_id>`` rooms, ``stream_data`` events).

Contract used by ``custos.devices.services`` (ingestion): after a batch of readings is committed, the
ingest service calls ``readings_ingested(organization_id, rows)`` once per batch, where ``rows`` is a
list of ``(device_id: str, timestamp: datetime, metric: str, value: float)`` tuples of that batch. It
must be cheap when nobody is subscribed and must never raise into ingestion.

How it stays cheap: a server process whose connection subscribes to a device's stream marks the
device in the shared cache (``custos:stream:<organization>:<device_id>``, 60 s, refreshed every 20 s
while the process has subscribers: ``custos.events.live``). Ingestion reads the marks of the batch's
devices (one ``get_many``) and stops there when none is set: no payload built, nothing sent.

Delivery (one ``stream_data`` per device per batch) goes to the room
``stream.<organization id>.<device_id>`` of every server process: in embedded mode through the
``EventRelay`` table (topic ``stream``) that each server polls, in scaled mode through the Socket.IO
Redis manager. The device key is scoped by the organization, so two organizations' ``DEVICE_001``
never share a room.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("custos.events")

STREAM_TOPIC = "stream"  # EventRelay topic of stream rows (delivered by the relay to the stream room)
STREAM_EVENT = "stream_data"
MARK_SECONDS = 60
REFRESH_SECONDS = 20
MAX_READINGS = 1000  # per event; ``count`` says how many the batch held for the device


def stream_room(organization_id: Any, device_id: str) -> str:
    return f"stream.{organization_id}.{device_id}"


def _mark_key(organization_id: Any, device_id: str) -> str:
    return f"custos:stream:{organization_id}:{device_id}"


def mark_subscribed(pairs: Iterable[tuple[Any, str]]) -> None:
    """Tell every ingesting process that someone watches these ``(organization_id, device_id)`` streams."""
    keys = {_mark_key(organization_id, device_id): 1 for organization_id, device_id in pairs}
    if keys:
        cache.set_many(keys, timeout=MARK_SECONDS)


def watched(organization_id: Any, device_ids: Iterable[str]) -> set[str]:
    """The devices among ``device_ids`` whose stream has a subscriber somewhere (one cache read)."""
    keys = {_mark_key(organization_id, device_id): device_id for device_id in device_ids}
    if not keys:
        return set()
    return {keys[key] for key in cache.get_many(list(keys))}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def stream_payload(organization_id: Any, device_id: str, rows: Sequence[tuple[datetime, str, float]]) -> dict[str, Any]:
    """The ``stream_data`` body of one device's readings of one batch: the newest reading at the top
    level (``timestamp``, ``metric``, ``value``) and the batch's readings in time order (the newest
    ``MAX_READINGS`` of them) under ``readings``."""
    ordered = sorted(rows, key=lambda row: row[0])
    newest = ordered[-1]
    return {
        "stream_id": device_id,
        "device_id": device_id,
        "organization_id": str(organization_id),
        "timestamp": _iso(newest[0]),
        "metric": newest[1],
        "value": newest[2],
        "count": len(ordered),
        "readings": [
            {"timestamp": _iso(moment), "metric": metric, "value": value}
            for moment, metric, value in ordered[-MAX_READINGS:]
        ],
    }


def _device_keys(rows: Sequence[tuple[Any, datetime, str, float]]) -> dict[Any, str]:
    """Rows may name devices by primary key (UUID) instead of ``device_id``: map those once."""
    pks = {row[0] for row in rows if isinstance(row[0], uuid.UUID)}
    if not pks:
        return {}
    from custos.devices.models import Device

    return {pk: str(key) for pk, key in Device.objects.filter(pk__in=pks).values_list("pk", "device_id")}


def _deliver(organization_id: Any, payloads: list[dict[str, Any]]) -> None:
    from custos.events.models import EventRelay
    from custos.events.services import _socketio_manager, relay_mode

    if relay_mode():
        EventRelay.objects.bulk_create(
            EventRelay(organization_id=organization_id, topic=STREAM_TOPIC, event=STREAM_EVENT, payload=payload)
            for payload in payloads
        )
        return
    manager = _socketio_manager()
    for payload in payloads:
        manager.emit(STREAM_EVENT, payload, room=stream_room(organization_id, payload["device_id"]), namespace="/")


def readings_ingested(organization_id: Any, rows: Sequence[tuple[str, datetime, str, float]]) -> None:
    """Send the batch's readings to the streams of its devices that have subscribers (never raises)."""
    try:
        if organization_id is None or not rows:
            return
        keys = _device_keys(rows)
        by_device: dict[str, list[tuple[datetime, str, float]]] = defaultdict(list)
        for device, moment, metric, value in rows:
            by_device[keys.get(device, str(device))].append((moment, metric, float(value)))
        live = watched(organization_id, by_device)
        if not live:
            return
        _deliver(organization_id, [stream_payload(organization_id, key, by_device[key]) for key in sorted(live)])
    except Exception:  # live telemetry is best effort: the readings are stored whatever happens here
        logger.exception("stream_data delivery failed")
