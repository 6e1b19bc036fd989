"""Per-process housekeeping of the Socket.IO server: ``dashboard_update`` and stream marks.

One asyncio task per server process (started with its first Socket.IO connection), waking every
second:

* every ``SOCKETIO_DASHBOARD_INTERVAL`` seconds, for each ``org.<id>.dashboard_updates`` room with
  members *in this process*, it computes the organization's figures with the registered dashboard
  provider (``custos.events.providers``) and sends them to this process's members only
  (``ignore_queue``: in scaled mode every process serves its own members, nobody gets a copy twice).
  No members, no query;
* every ``custos.events.streams.REFRESH_SECONDS`` it refreshes the cache marks of the device streams
  this process has subscribers for, so ingestion in any process keeps sending their ``stream_data``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from custos.events.background import BackgroundLoop
from custos.events.providers import dashboard_provider
from custos.events.services import _json_safe
from custos.events.sio import sio
from custos.events.streams import REFRESH_SECONDS, mark_subscribed

logger = logging.getLogger("custos.events")

DASHBOARD_TOPIC = "dashboard_updates"
DASHBOARD_EVENT = "dashboard_update"
DASHBOARD_ROOM = re.compile(r"^org\.([0-9a-f\-]{36})\.dashboard_updates$")
STREAM_ROOM = re.compile(r"^stream\.([0-9a-f\-]{36})\.(.+)$")


def dashboard_interval() -> float:
    return float(getattr(settings, "SOCKETIO_DASHBOARD_INTERVAL", 5))


def _occupied_rooms(pattern: re.Pattern[str]) -> list[re.Match[str]]:
    rooms = sio.manager.rooms.get("/", {})
    found = []
    for room, members in list(rooms.items()):
        if isinstance(room, str) and members:
            match = pattern.match(room)
            if match is not None:
                found.append(match)
    return found


def _dashboard(organization_id: str) -> dict[str, Any] | None:
    provider = dashboard_provider()
    if provider is None:
        return None
    close_old_connections()
    figures = provider(organization_id=organization_id)
    return _json_safe({**figures, "organization_id": str(organization_id)})


class Ticker(BackgroundLoop):
    thread_name = "custos-sio-ticker"

    async def ensure_started(self) -> None:
        if not self.running():
            self._start()

    async def dashboard_for(self, organization_id: str) -> dict[str, Any] | None:
        return await self._call(_dashboard, organization_id)

    async def push_dashboards(self) -> int:
        """One ``dashboard_update`` per organization whose room has members here; how many were sent."""
        sent = 0
        for match in _occupied_rooms(DASHBOARD_ROOM):
            payload = await self.dashboard_for(match.group(1))
            if payload is not None:
                await sio.emit(DASHBOARD_EVENT, payload, room=match.group(0), ignore_queue=True)
                sent += 1
        return sent

    async def refresh_streams(self) -> None:
        pairs = [(match.group(1), match.group(2)) for match in _occupied_rooms(STREAM_ROOM)]
        if pairs:
            await self._call(mark_subscribed, pairs)

    async def _run(self) -> None:
        next_dashboard = time.monotonic() + dashboard_interval()
        next_refresh = time.monotonic() + REFRESH_SECONDS
        while True:
            await asyncio.sleep(min(1.0, dashboard_interval()))
            now = time.monotonic()
            try:
                if now >= next_dashboard:
                    next_dashboard = now + dashboard_interval()
                    await self.push_dashboards()
                if now >= next_refresh:
                    next_refresh = now + REFRESH_SECONDS
                    await self.refresh_streams()
            except asyncio.CancelledError:
                raise
            except Exception:  # a failing provider or cache must not end the loop
                logger.exception("Socket.IO ticker failed")


ticker = Ticker()
