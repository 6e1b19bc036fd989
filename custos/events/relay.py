"""Embedded mode: each server process polls the ``EventRelay`` table and delivers new rows locally.

The worker (a separate process) and the server share the SQLite database but no memory, so the
in-memory channel layer alone cannot carry an event from one to the other. The poller starts with the
server (ASGI lifespan) or with its first real-time connection, remembers the last row it delivered,
and every ``INTERVAL`` seconds hands newer rows to this process's channel layer and Socket.IO server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import close_old_connections
from django.utils import timezone

from custos.events.background import BackgroundLoop
from custos.events.models import EventRelay
from custos.events.services import channel_message, event_groups, relay_mode
from custos.events.sio import sio
from custos.events.streams import STREAM_TOPIC, stream_room

logger = logging.getLogger("custos.events")

INTERVAL = 0.2
KEEP = timedelta(minutes=1)
PRUNE_EVERY = 300  # polls


def _latest_id() -> int:
    close_old_connections()
    return EventRelay.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _rows_after(last_id: int, prune: bool) -> list[Mapping[str, Any]]:
    if prune:
        EventRelay.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return list(
        EventRelay.objects.filter(id__gt=last_id)
        .order_by("id")
        .values("id", "organization_id", "user_id", "topic", "event", "payload")[:500]
    )


async def deliver_local(
    *, event_id: str, organization_id: Any, user_id: Any, topic: str, event: str, payload: Any
) -> None:
    """Hand one event to this process's channel layer and Socket.IO server."""
    from channels.layers import get_channel_layer

    groups = event_groups(organization_id=organization_id, topic=topic, user_id=user_id)
    layer = get_channel_layer()
    message = channel_message(event_id=event_id, topic=topic, event=event, payload=payload)
    for group in groups:
        await layer.group_send(group, message)
    await sio.emit(event, payload, room=groups)


class RelayPoller(BackgroundLoop):
    # One thread for the poller's queries: one database connection, closed when the poller stops.
    thread_name = "custos-event-relay"

    def __init__(self, interval: float = INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self.last_id: int | None = None

    async def ensure_started(self) -> None:
        if not relay_mode() or self.running():
            return
        if self.last_id is None:
            try:
                self.last_id = await self._call(_latest_id)
            except Exception:  # no table yet (before migrate) or a locked file: the next connection retries
                logger.warning("event relay not started", exc_info=True)
                return
        self._start()

    async def poll_once(self, *, prune: bool = False) -> int:
        rows = await self._call(_rows_after, self.last_id or 0, prune)
        for row in rows:
            if row["topic"] == STREAM_TOPIC:  # stream_data: Socket.IO stream room only (custos.events.streams)
                room = stream_room(row["organization_id"], row["payload"].get("device_id", ""))
                await sio.emit(row["event"], row["payload"], room=room)
                self.last_id = row["id"]
                continue
            await deliver_local(
                event_id=f"relay-{row['id']}",
                organization_id=row["organization_id"],
                user_id=row["user_id"],
                topic=row["topic"],
                event=row["event"],
                payload=row["payload"],
            )
            self.last_id = row["id"]
        return len(rows)

    async def _run(self) -> None:
        polls = 0
        while True:
            try:
                polls += 1
                await self.poll_once(prune=polls % PRUNE_EVERY == 0)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly locked or away: keep polling
                logger.exception("event relay poll failed")
                await asyncio.sleep(1)
            await asyncio.sleep(self.interval)


poller = RelayPoller()
