"""Request metrics shared by every server process, at a bounded cost per request.

Each request updates an in-process aggregate (a dict under a lock: no I/O). At most every
``FLUSH_SECONDS`` the process writes its aggregates of the current minute and hour to the shared
cache, under keys of its own (``custos:ops:rm:<m|h>:<bucket>:<token>``: no two processes write the
same key, so nothing is lost to races), and names itself in a registry key. Readers merge the keys of
every registered process for the buckets they need. Minute buckets live two hours, hour buckets
eight days (the cache expires them).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

FLUSH_SECONDS = 5.0
BOUNDS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)  # histogram bucket upper bounds
MINUTE_TTL = 2 * 60 * 60
HOUR_TTL = 8 * 24 * 60 * 60
REGISTRY_KEY = "custos:ops:rm:processes"
_PREFIX = "custos:ops:rm"


@dataclass
class RouteStats:
    count: int = 0
    server_errors: int = 0
    client_errors: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * (len(BOUNDS_MS) + 1))
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, status: int, ms: float) -> None:
        self.count += 1
        self.server_errors += status >= 500
        self.client_errors += 400 <= status < 500
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)
        index = next((i for i, bound in enumerate(BOUNDS_MS) if ms <= bound), len(BOUNDS_MS))
        self.histogram[index] += 1
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1

    def merge(self, other: RouteStats) -> None:
        self.count += other.count
        self.server_errors += other.server_errors
        self.client_errors += other.client_errors
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        for status, total in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + total

    def to_wire(self) -> list[Any]:
        return [
            self.count,
            self.server_errors,
            self.client_errors,
            self.total_ms,
            self.max_ms,
            self.histogram,
            self.statuses,
        ]

    @classmethod
    def from_wire(cls, wire: list[Any]) -> RouteStats:
        count, server_errors, client_errors, total_ms, max_ms, histogram, statuses = wire
        return cls(count, server_errors, client_errors, total_ms, max_ms, list(histogram), dict(statuses))

    @property
    def avg_ms(self) -> float:
        return round(self.total_ms / self.count, 2) if self.count else 0.0

    def percentile_ms(self, fraction: float) -> float:
        """The upper bound of the histogram bucket holding the ``fraction`` quantile (``max_ms`` beyond)."""
        if not self.count:
            return 0.0
        wanted = fraction * self.count
        seen = 0
        for index, total in enumerate(self.histogram):
            seen += total
            if seen >= wanted:
                return float(min(BOUNDS_MS[index], self.max_ms)) if index < len(BOUNDS_MS) else round(self.max_ms, 2)
        return round(self.max_ms, 2)


Table = dict[str, RouteStats]  # "METHOD route" -> stats


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token = uuid.uuid4().hex[:16]
        self.minutes: dict[int, Table] = {}
        self.hours: dict[int, Table] = {}
        self.dirty_minutes: set[int] = set()
        self.dirty_hours: set[int] = set()
        self.last_flush = time.monotonic()
        self.registered_at = 0.0

    def record(self, method: str, route: str, status: int, ms: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        minute, hour = int(now // 60), int(now // 3600)
        key = f"{method} {route}"
        with self.lock:
            for buckets, dirty, bucket in (
                (self.minutes, self.dirty_minutes, minute),
                (self.hours, self.dirty_hours, hour),
            ):
                buckets.setdefault(bucket, {}).setdefault(key, RouteStats()).add(status, ms)
                dirty.add(bucket)
            due = time.monotonic() - self.last_flush >= FLUSH_SECONDS
        if due:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.lock:
            writes: dict[str, Any] = {}
            for kind, buckets, dirty in (("m", self.minutes, self.dirty_minutes), ("h", self.hours, self.dirty_hours)):
                for bucket in dirty:
                    table = buckets.get(bucket, {})
                    writes[f"{_PREFIX}:{kind}:{bucket}:{self.token}"] = {k: v.to_wire() for k, v in table.items()}
                dirty.clear()
            # Keep the current buckets only: finished ones were written above and are final.
            current_minute, current_hour = int(now // 60), int(now // 3600)
            self.minutes = {b: t for b, t in self.minutes.items() if b >= current_minute}
            self.hours = {b: t for b, t in self.hours.items() if b >= current_hour}
            self.last_flush = time.monotonic()
            register = now - self.registered_at > 60
        try:
            minute_writes = {k: v for k, v in writes.items() if f"{_PREFIX}:m:" in k}
            hour_writes = {k: v for k, v in writes.items() if f"{_PREFIX}:h:" in k}
            if minute_writes:
                cache.set_many(minute_writes, timeout=MINUTE_TTL)
            if hour_writes:
                cache.set_many(hour_writes, timeout=HOUR_TTL)
            if register or writes:
                registry = cache.get(REGISTRY_KEY) or {}
                if register or self.token not in registry:
                    registry = {t: seen for t, seen in registry.items() if now - seen < HOUR_TTL}
                    registry[self.token] = now
                    cache.set(REGISTRY_KEY, registry, timeout=HOUR_TTL)
                    self.registered_at = now
        except Exception:
            with self.lock:
                self.dirty_minutes.update(int(k.split(":")[4]) for k in writes if ":m:" in k)
                self.dirty_hours.update(int(k.split(":")[4]) for k in writes if ":h:" in k)

    def reset(self) -> None:
        with self.lock:
            self.minutes.clear()
            self.hours.clear()
            self.dirty_minutes.clear()
            self.dirty_hours.clear()
            self.registered_at = 0.0


recorder = _Recorder()


def record_request(method: str, route: str, status: int, ms: float) -> None:
    recorder.record(method, route, status, ms)


def read_buckets(kind: str, buckets: list[int]) -> dict[int, Table]:
    """The merged tables of every process for each bucket (``kind``: ``"m"`` minutes, ``"h"`` hours)."""
    recorder.flush()  # this process's latest figures first
    registry = cache.get(REGISTRY_KEY) or {}
    tokens = set(registry) | {recorder.token}
    keys = {f"{_PREFIX}:{kind}:{bucket}:{token}": bucket for bucket in buckets for token in tokens}
    found = cache.get_many(list(keys))
    merged: dict[int, Table] = {bucket: {} for bucket in buckets}
    for key, table in found.items():
        target = merged[keys[key]]
        for route, wire in table.items():
            target.setdefault(route, RouteStats()).merge(RouteStats.from_wire(wire))
    return merged


def combine(tables: list[Table]) -> Table:
    total: Table = {}
    for table in tables:
        for route, stats in table.items():
            total.setdefault(route, RouteStats()).merge(stats)
    return total
