"""A device's ``last_seen`` from a connection that hears it often (a SQAL station sends a frame a second).

Writing ``last_seen`` on every message costs one row update (and a write lock on SQLite) per message for
a value nobody reads that finely: the device list shows it, and the no-data alarm rules count in minutes.
``SeenThrottle`` keeps, per connection, when it last wrote, and writes again only once
``DEVICES_LAST_SEEN_INTERVAL_SECONDS`` (default 30) have passed, so ``last_seen`` lags the device's newest
message by at most that interval while the connection is open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from custos.devices.models import Device

DEFAULT_INTERVAL_SECONDS = 30.0


def mark_seen(device_pk: Any, *, now: datetime | None = None) -> None:
    """Record that the device was heard from now: its ``last_seen``, and, when it was offline, its status
    from its open alarms again (``rules.device_status_refresh``, as an ingested batch does)."""
    from custos.devices.choices import DeviceStatus
    from custos.devices.rules import device_status_refresh

    now = now or timezone.now()
    back = (
        Device.objects.filter(pk=device_pk, status=DeviceStatus.OFFLINE)
        .values_list("organization_id", "device_id")
        .first()
    )
    Device.objects.filter(pk=device_pk).update(last_seen=now, updated_at=now)
    if back is not None:
        device_status_refresh(organization_id=back[0], device_keys=[back[1]], receiving=True)


def last_seen_interval() -> float:
    return float(getattr(settings, "DEVICES_LAST_SEEN_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))


class SeenThrottle:
    """``last_seen`` of one device, written at most once per interval by this connection.

    ``clock`` is a monotonic clock (seconds); tests pass their own. A write made inside a transaction
    counts only once that transaction commits, so a rolled-back write is made again by the next message.
    """

    def __init__(self, device_pk: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.device_pk = device_pk
        self.clock = clock
        self.written_at: float | None = None

    def due(self) -> bool:
        return self.written_at is None or self.clock() - self.written_at >= last_seen_interval()

    def touch(self, *, now: datetime | None = None) -> bool:
        """Write ``last_seen`` (and ``updated_at``) when due; whether it wrote."""
        if not self.due():
            return False
        mark_seen(self.device_pk, now=now)
        started = self.clock()
        transaction.on_commit(lambda: setattr(self, "written_at", started))
        return True

    def forget(self) -> None:
        """The next ``touch`` writes (e.g. after ``last_seen`` was written by another path)."""
        self.written_at = None
