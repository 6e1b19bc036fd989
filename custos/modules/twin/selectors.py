"""The twin dashboard: every figure from stored readings, scores and alerts of the caller's organizations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from custos.alerts.models import Alert
from custos.devices.api.serializers import TwinDeviceSerializer
from custos.devices.choices import DeviceStatus
from custos.devices.models import Device
from custos.devices.rules import twin_alert
from custos.devices.selectors import reading_series, with_latest_reading
from custos.modules.twin.models import HealthRecord

ENERGY_DEVICE_TYPE = "power_meter"
ACTIVE_WITHIN = timedelta(hours=1)
HISTORY_HOURS = 24
RECENT_ALERTS = 10


def iso_z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _percent(values: Sequence[float]) -> int | None:
    return round(100 * sum(values) / len(values)) if values else None


def energy_price() -> float:
    return float(getattr(settings, "TWIN_ENERGY_PRICE_PER_KWH", 0.15))


def _alert(alert: Alert) -> dict[str, Any]:
    """The twin document's alert shape: one presentation, the rule engine's (custos.devices.rules)."""
    return twin_alert(alert)


def _hourly_energy(meters: Sequence[Device], *, now: datetime) -> dict[int, float]:
    """Per hour bucket (epoch seconds): the summed hourly mean power of the meters (kW -> kWh)."""
    buckets: dict[int, float] = defaultdict(float)
    for meter in meters:
        series = reading_series(device=meter, hours=HISTORY_HOURS, interval_seconds=3600, agg="avg", now=now)
        for moment, value in zip(series.timestamps, series.values, strict=True):
            if value is not None:
                buckets[int(moment.timestamp())] += float(value)
    return buckets


def dashboard(*, organization_ids: Sequence[Any], now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    devices = list(with_latest_reading(Device.objects.filter(organization_id__in=list(organization_ids))))
    counts = dict(
        Device.objects.filter(organization_id__in=list(organization_ids))
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    distribution = {status: counts.get(status, 0) for status in DeviceStatus.values}
    newest = [getattr(d, "latest_timestamp", None) for d in devices]  # annotated by with_latest_reading
    active = sum(1 for moment in newest if moment is not None and moment >= now - ACTIVE_WITHIN)
    meters = [d for d in devices if d.device_type == ENERGY_DEVICE_TYPE]
    energy = _hourly_energy(meters, now=now)
    # The latest hour with meter readings: its summed mean power (kW) is that hour's energy (kWh).
    latest_energy_hour = max((h for h in energy if h <= int(now.timestamp())), default=None)
    energy_usage = round(energy[latest_energy_hour], 3) if latest_energy_hour is not None else 0.0

    since = now - timedelta(hours=HISTORY_HOURS)
    history: dict[int, dict[str, list[float]]] = defaultdict(lambda: {"health": [], "efficiency": []})
    for computed_at, score, efficiency in HealthRecord.objects.filter(
        organization_id__in=list(organization_ids), computed_at__gte=since, computed_at__lte=now
    ).values_list("computed_at", "health_score", "efficiency_score"):
        hour = int(computed_at.timestamp()) // 3600 * 3600
        history[hour]["health"].append(score)
        history[hour]["efficiency"].append(efficiency)
    performance = []
    for hour in sorted(set(history) | set(energy)):
        point = history.get(hour, {"health": [], "efficiency": []})
        performance.append(
            {
                "timestamp": iso_z(datetime.fromtimestamp(hour, tz=now.tzinfo)),
                "systemHealth": _percent(point["health"]),
                "efficiency": _percent(point["efficiency"]),
                "energyUsage": round(energy[hour], 3) if hour in energy else None,
            }
        )

    scored = [d.health_score for d in devices if d.health_score is not None]
    efficiencies = [d.efficiency_score for d in devices if d.efficiency_score is not None]
    alerts = Alert.objects.filter(organization_id__in=list(organization_ids), source="twin").order_by("-created_at")
    return {
        "systemHealth": _percent(scored),
        "activeDevices": active,
        "totalDevices": len(devices),
        "efficiency": _percent(efficiencies),
        "energyUsage": energy_usage,
        "energyCost": round(energy_usage * energy_price(), 2),
        "statusDistribution": distribution,
        "timestamp": iso_z(now),
        "devices": TwinDeviceSerializer(devices, many=True).data,
        "alerts": [_alert(a) for a in alerts[:RECENT_ALERTS]],
        "performanceData": performance,
    }
