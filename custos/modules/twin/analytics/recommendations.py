"""Rule-based recommendations from health components, trends and failure predictions.

composite = 0.30 urgency + 0.25 impact + 0.20 feasibility + 0.15 cost + 0.10 risk reduction
(specs/notes.md "twin (002)"); ``cost`` is a score: 1 = cheap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

COMPOSITE_WEIGHTS = {"urgency": 0.30, "impact": 0.25, "feasibility": 0.20, "cost": 0.15, "risk_reduction": 0.10}
PRIORITY_BANDS = ((0.8, "critical"), (0.65, "high"), (0.45, "medium"))
TREND_Z_PER_DAY = 2.0
FAILURE_RISK = 0.5


def composite(*, urgency: float, impact: float, feasibility: float, cost: float, risk_reduction: float) -> float:
    factors = {"urgency": urgency, "impact": impact, "feasibility": feasibility, "cost": cost}
    factors["risk_reduction"] = risk_reduction
    return sum(COMPOSITE_WEIGHTS[name] * value for name, value in factors.items())


def priority_of(score: float) -> str:
    for bound, name in PRIORITY_BANDS:
        if score >= bound:
            return name
    return "low"


@dataclass(frozen=True)
class Recommendation:
    type: str
    priority_level: str
    title: str
    action: str
    urgency: float
    impact: float
    feasibility: float
    cost: float
    risk_reduction: float
    composite_score: float
    timeframe: str
    source: str
    device_id: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("urgency", "impact", "feasibility", "cost", "risk_reduction", "composite_score"):
            data[name] = round(data[name], 4)
        return data


def _make(
    *,
    kind: str,
    title: str,
    action: str,
    urgency: float,
    impact: float,
    feasibility: float,
    cost: float,
    risk_reduction: float,
    timeframe: str,
    source: str,
    device_id: str,
) -> Recommendation:
    urgency = min(1.0, max(0.0, urgency))
    score = composite(urgency=urgency, impact=impact, feasibility=feasibility, cost=cost, risk_reduction=risk_reduction)
    return Recommendation(
        type=kind,
        priority_level=priority_of(score),
        title=title,
        action=action,
        urgency=urgency,
        impact=impact,
        feasibility=feasibility,
        cost=cost,
        risk_reduction=risk_reduction,
        composite_score=score,
        timeframe=timeframe,
        source=source,
        device_id=device_id,
    )


def for_device(
    *,
    device_id: str,
    device_type: str,
    components: dict[str, float] | None,
    trend_z_per_day: float | None,
    failure_probability: float | None,
) -> list[Recommendation]:
    """The recommendations one device's figures call for (none when everything is in range)."""
    found: list[Recommendation] = []
    what = device_type.replace("_", " ")
    if failure_probability is not None and failure_probability >= FAILURE_RISK:
        found.append(
            _make(
                kind="maintenance",
                title="Failure Risk High",
                action=f"Inspect and service {device_id} before it fails",
                urgency=failure_probability,
                impact=0.9,
                feasibility=0.6,
                cost=0.4,
                risk_reduction=0.9,
                timeframe="immediate" if failure_probability >= 0.8 else "within_24h",
                source="failure_prediction",
                device_id=device_id,
            )
        )
    if trend_z_per_day is not None and abs(trend_z_per_day) >= TREND_Z_PER_DAY:
        direction = "Increasing" if trend_z_per_day > 0 else "Decreasing"
        found.append(
            _make(
                kind="maintenance",
                title=f"{what.title()} Trend {direction}",
                action=f"Investigate {what} on {device_id}",
                urgency=abs(trend_z_per_day) / 6.0,
                impact=0.8,
                feasibility=0.8,
                cost=0.7,
                risk_reduction=0.6,
                timeframe="within_week",
                source="historical_analysis",
                device_id=device_id,
            )
        )
    if components:
        rules = (
            ("safety", 0.9, "safety", "Readings Outside Safe Range", f"Check the safe operating range of {device_id}",
             0.9, 0.7, 0.6, 0.9, "within_24h"),
            ("performance", 0.9, "inspection", "Anomalous Readings", f"Review the anomalous readings of {device_id}",
             0.6, 0.8, 0.8, 0.5, "within_week"),
            ("reliability", 0.7, "maintenance", "Unreliable Operation",
             f"Check connectivity and recent failures of {device_id}", 0.7, 0.7, 0.6, 0.6, "within_week"),
            ("maintenance", 0.5, "maintenance", "Maintenance Overdue", f"Schedule maintenance for {device_id}",
             0.6, 0.9, 0.5, 0.7, "within_week"),
            ("efficiency", 0.7, "optimization", "Operating Level Drifted",
             f"Bring {device_id} back to its usual operating level", 0.5, 0.8, 0.8, 0.3, "within_month"),
        )  # fmt: skip
        for name, bound, kind, title, action, impact, feasibility, cost, risk, timeframe in rules:
            value = components.get(name)
            if value is not None and value < bound:
                found.append(
                    _make(
                        kind=kind,
                        title=title,
                        action=action,
                        urgency=1.0 - value,
                        impact=impact,
                        feasibility=feasibility,
                        cost=cost,
                        risk_reduction=risk,
                        timeframe=timeframe,
                        source="health_analysis",
                        device_id=device_id,
                    )
                )
    return found
