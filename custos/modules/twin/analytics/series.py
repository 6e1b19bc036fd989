"""Readings as numpy arrays, and the robust baseline every analysis normalises by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from custos.devices.choices import DEFAULT_METRIC
from custos.devices.models import Reading

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its standard deviation


@dataclass(frozen=True)
class DeviceSeries:
    """One device's readings of one metric: ``t`` epoch seconds (sorted) and ``v`` values."""

    t: np.ndarray
    v: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def between(self, start: float, end: float) -> DeviceSeries:
        lo = int(np.searchsorted(self.t, start, side="left"))
        hi = int(np.searchsorted(self.t, end, side="right"))
        return DeviceSeries(self.t[lo:hi], self.v[lo:hi])


EMPTY = DeviceSeries(np.empty(0), np.empty(0))


def load_series(
    device_pks: Iterable[Any], *, start: datetime, end: datetime, metric: str = DEFAULT_METRIC
) -> dict[Any, DeviceSeries]:
    """The stored readings of each device in ``[start, end]``, oldest first (one query)."""
    pks = list(device_pks)
    if not pks:
        return {}
    rows = (
        Reading.objects.filter(device_id__in=pks, metric=metric, timestamp__gte=start, timestamp__lte=end)
        .order_by("device_id", "timestamp")
        .values_list("device_id", "timestamp", "value")
    )
    grouped: dict[Any, tuple[list[float], list[float]]] = {pk: ([], []) for pk in pks}
    for pk, moment, value in rows.iterator(chunk_size=20_000):
        times, values = grouped[pk]
        times.append(moment.timestamp())
        values.append(value)
    return {pk: DeviceSeries(np.asarray(t, dtype=float), np.asarray(v, dtype=float)) for pk, (t, v) in grouped.items()}


@dataclass(frozen=True)
class Baseline:
    median: float
    scale: float  # MAD x 1.4826, floored so a constant signal still has a finite scale
    count: int

    def z(self, values: np.ndarray) -> np.ndarray:
        return (values - self.median) / self.scale


def robust_baseline(values: np.ndarray) -> Baseline | None:
    """Median and MAD-based scale of ``values`` (``None`` without readings)."""
    if len(values) == 0:
        return None
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    floor = 1e-3 * max(1.0, abs(median))
    return Baseline(median=median, scale=max(MAD_TO_SIGMA * mad, floor), count=len(values))
