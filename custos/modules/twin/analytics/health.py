"""The five-part health score (weights and bands of specs/notes.md "twin (002)").

Every component is in [0, 1] and computed from stored data only; docs/twin-analytics.md defines each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from custos.modules.twin.analytics.series import Baseline, DeviceSeries

WEIGHTS = {"performance": 0.30, "reliability": 0.25, "efficiency": 0.20, "safety": 0.15, "maintenance": 0.10}
BANDS = ((0.95, "excellent"), (0.8, "good"), (0.6, "warning"), (0.3, "critical"))
WINDOW_HOURS = 24
BASELINE_HOURS = 168
FAILURE_LOOKBACK_DAYS = 30
NORMAL_Z = 3.0
UNSAFE_Z = 5.0
UNSAFE_PENALTY = 10.0
DEFAULT_MAINTENANCE_INTERVAL_DAYS = 90
UNKNOWN_MAINTENANCE = 0.5


def status_of(score: float) -> str:
    for bound, name in BANDS:
        if score >= bound:
            return name
    return "failure"


@dataclass(frozen=True)
class Health:
    score: float
    status: str
    components: dict[str, float]

    @property
    def efficiency(self) -> float:
        return self.components["efficiency"]


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    return float(raw)


def compute(
    *,
    window: DeviceSeries,
    window_end: float,
    baseline: Baseline,
    failures_recent: int,
    days_since_maintenance: float | None,
    metadata: dict[str, Any],
) -> Health | None:
    """The health of one device from its last ``WINDOW_HOURS`` of readings (``None`` without any)."""
    if len(window) == 0:
        return None
    z = baseline.z(window.v)
    performance = float(np.mean(np.abs(z) <= NORMAL_Z))

    start = window_end - WINDOW_HOURS * 3600
    slots = np.floor((window.t - start) / 3600).astype(int)
    slots = slots[(slots >= 0) & (slots < WINDOW_HOURS)]
    availability = len(np.unique(slots)) / WINDOW_HOURS
    reliability = availability * 0.5**failures_recent

    efficiency = max(0.0, 1.0 - abs(float(np.mean(window.v)) - baseline.median) / (NORMAL_Z * baseline.scale))

    low, high = _number(metadata.get("safe_min")), _number(metadata.get("safe_max"))
    if low is not None or high is not None:
        inside = np.ones(len(window), dtype=bool)
        if low is not None:
            inside &= window.v >= low
        if high is not None:
            inside &= window.v <= high
        safety = float(np.mean(inside))
    else:
        safety = max(0.0, 1.0 - UNSAFE_PENALTY * float(np.mean(np.abs(z) > UNSAFE_Z)))

    interval = _number(metadata.get("maintenance_interval_days")) or DEFAULT_MAINTENANCE_INTERVAL_DAYS
    if days_since_maintenance is None:
        maintenance = UNKNOWN_MAINTENANCE
    elif days_since_maintenance <= interval:
        maintenance = 1.0
    else:
        maintenance = max(0.0, 1.0 - (days_since_maintenance - interval) / interval)

    components = {
        "performance": performance,
        "reliability": reliability,
        "efficiency": efficiency,
        "safety": safety,
        "maintenance": maintenance,
    }
    score = sum(WEIGHTS[name] * value for name, value in components.items())
    return Health(score=score, status=status_of(score), components=components)
