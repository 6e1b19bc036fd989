"""``custos demo``: the twin's fleet (registered with ``custos.kernel.demo.register_demo``).

25 devices of the five sensor types (5 each) in the demo organization, with ``DAYS`` days of readings
every ``STEP_MINUTES`` minutes ending at the current ten minutes: a per-device level, a daily cycle, a
slow drift, seeded Gaussian noise, and injected faults at known times:

* single-reading spikes (6 to 10 sigma) on every device (what the anomaly detection should flag);
* three failures (``FAILURES``): the value drifts up by 5 sigma over the 12 hours before, the device
  falls silent for 4 hours, then a repair is recorded; both events are recorded as a person would
  (``device_event_record``, audited);
* a degradation in progress on one vibration sensor over the last 10 hours (the failure model's case);
* a boiler that overheated for two hours on day 3 and another running hot now (the default alarm rules
  ``temperature > 80 for 300 s`` raise, and clear, their alarms from the readings' own timestamps).

Everything is ingested through ``custos.devices.services.readings_ingest`` (the API's service: the rules
run, the live streams get the batches), one day of the whole fleet per batch in time order; then the
anomaly and failure models are trained (``custos.modules.twin.services.train_all``, the training job's
body, run synchronously) and the devices are scored every three hours over the last 24 hours (the
dashboard's ``performanceData``, beside the meters' hourly energy). The loader is idempotent: once the
fleet has readings, a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from custos.devices.models import Device, Reading
from custos.devices.services import device_event_record, readings_ingest
from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.modules.twin import services
from custos.orgs.models import Organization

ORGANIZATION_SLUG = "northwind-energy"  # the demo organization of custos.orgs.demo
DAYS = 5
STEP_MINUTES = 10
SEED = 20261202
SILENCE_HOURS = 4
DRIFT_HOURS = 12
HEALTH_HOURS = 24  # health records over the last day, one every HEALTH_STEP_HOURS
HEALTH_STEP_HOURS = 3

# device_type: (key prefix, name, unit, level, step of level per device, noise sigma, daily amplitude, location)
TYPES: dict[str, tuple[str, str, str, float, float, float, float, str]] = {
    "temperature_sensor": ("TEMP", "Boiler temperature", "°C", 62.0, 2.0, 0.4, 3.0, "Boiler room"),
    "pressure_sensor": ("PRES", "Line pressure", "bar", 4.0, 0.2, 0.03, 0.15, "Pump station"),
    "vibration_sensor": ("VIB", "Bearing vibration", "g", 0.18, 0.02, 0.01, 0.02, "Compressor hall"),
    "humidity_sensor": ("HUM", "Hall humidity", "%RH", 45.0, 3.0, 0.8, 6.0, "Warehouse"),
    "power_meter": ("PWR", "Feeder power", "kW", 40.0, 8.0, 1.0, 12.0, "Substation"),
}
PER_TYPE = 5
# device key -> hours after the first reading at which it failed
FAILURES: dict[str, int] = {"PRES_003": 42, "PWR_004": 66, "VIB_002": 84}
DEGRADING = "VIB_005"  # drifting up over the last 10 hours, no failure yet
OVERHEATED = ("TEMP_004", 72, 2)  # device, hour after the first reading, hours above the alarm threshold
RUNNING_HOT = ("TEMP_005", 1)  # device, last hours above the alarm threshold (the alarm is active)


def device_keys() -> list[str]:
    return [f"{prefix}_{index:03d}" for prefix, *_ in TYPES.values() for index in range(1, PER_TYPE + 1)]


@dataclass(frozen=True)
class DemoDevice:
    key: str
    device_type: str
    name: str
    unit: str
    location: str
    times: np.ndarray  # epoch seconds of the readings, ascending
    values: np.ndarray


def fleet(end: datetime) -> list[DemoDevice]:
    """The fleet's readings over the ``DAYS`` days ending at ``end`` (seeded: the same every run)."""
    rng = np.random.default_rng(SEED)
    step = STEP_MINUTES * 60
    count = DAYS * 24 * 3600 // step
    times = end.timestamp() - step * np.arange(count - 1, -1, -1, dtype=float)
    first = times[0]
    day_phase = 2 * np.pi * ((times % 86400) / 86400 - 0.375)  # peaks mid-afternoon (UTC)
    out = []
    for device_type, (prefix, name, unit, level, level_step, sigma, amplitude, location) in TYPES.items():
        for index in range(1, PER_TYPE + 1):
            key = f"{prefix}_{index:03d}"
            base = level + level_step * (index - 1)
            drift = (index - 3) * 0.15 * sigma * (times - first) / 86400  # a slow sensor drift, per day
            values = base + amplitude * np.sin(day_phase) + drift + sigma * rng.normal(0.0, 1.0, count)
            keep = np.ones(count, dtype=bool)
            for position in rng.choice(np.arange(12, count - 12), size=2, replace=False):  # spikes
                values[position] += rng.choice([-1.0, 1.0]) * rng.uniform(6.0, 10.0) * sigma
            if key in FAILURES:
                moment = first + FAILURES[key] * 3600
                ramp = (times > moment - DRIFT_HOURS * 3600) & (times <= moment)
                values[ramp] += 5 * sigma * (1 - (moment - times[ramp]) / (DRIFT_HOURS * 3600))
                keep &= ~((times > moment) & (times <= moment + SILENCE_HOURS * 3600))
            if key == DEGRADING:
                ramp = times > times[-1] - 10 * 3600
                values[ramp] += 4 * sigma * (1 - (times[-1] - times[ramp]) / (10 * 3600))
            if key == OVERHEATED[0]:
                start = first + OVERHEATED[1] * 3600
                values[(times >= start) & (times < start + OVERHEATED[2] * 3600)] += 25.0
            if key == RUNNING_HOT[0]:
                values[times > times[-1] - RUNNING_HOT[1] * 3600] += 22.0
            out.append(DemoDevice(key, device_type, f"{name} {index}", unit, location, times[keep], values[keep]))
    return out


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(float(seconds), tz=UTC).isoformat()


def _ingest(ctx: WriteContext, devices: list[DemoDevice]) -> int:
    """One batch per day of the whole fleet, in time order (the rules' state moves forward only)."""
    first = min(float(d.times[0]) for d in devices)
    stored = 0
    for day in range(DAYS + 1):
        lo, hi = first + day * 86400, first + (day + 1) * 86400
        rows: list[dict[str, Any]] = []
        for one in devices:
            window = (one.times >= lo) & (one.times < hi)
            rows.extend(
                {"device_id": one.key, "timestamp": _iso(t), "value": round(float(v), 4)}
                for t, v in zip(one.times[window], one.values[window], strict=True)
            )
        if rows:
            rows.sort(key=lambda row: row["timestamp"])
            stored += readings_ingest(ctx, rows=rows).accepted
    return stored


@register_demo("twin-fleet", order=200)
def load_twin_fleet(*, now: datetime | None = None) -> str:
    organization = Organization.objects.get(slug=ORGANIZATION_SLUG)
    keys = device_keys()
    if Reading.objects.filter(organization=organization, device__device_id__in=keys).exists():
        return "the fleet is loaded already: nothing added"
    now = now or timezone.now()
    end = now.replace(minute=now.minute - now.minute % STEP_MINUTES, second=0, microsecond=0)
    ctx = WriteContext.system(organization_id=organization.pk)
    plan = fleet(end)
    registered = {d.device_id: d for d in Device.objects.filter(organization=organization, device_id__in=keys)}
    for one in plan:
        if one.key not in registered:
            registered[one.key] = Device.objects.create(
                organization=organization,
                device_id=one.key,
                device_type=one.device_type,
                name=one.name,
                unit=one.unit,
                location=one.location,
                metadata={"demo": True, "maintenance_interval_days": 90},
            )
    stored = _ingest(ctx, plan)
    first = float(plan[0].times[0])
    events = 0
    for one in plan:  # a maintenance visit on every device the day before the data starts
        device_event_record(
            ctx, device=registered[one.key], data={"timestamp": _iso(first - 86400), "type": "maintenance"}
        )
        events += 1
    for key, hours in FAILURES.items():
        moment = first + hours * 3600
        device = registered[key]
        device_event_record(
            ctx, device=device, data={"timestamp": _iso(moment), "type": "failure", "notes": "Tripped (demo)."}
        )
        device_event_record(
            ctx,
            device=device,
            data={"timestamp": _iso(moment + SILENCE_HOURS * 3600), "type": "repair", "notes": "Replaced (demo)."},
        )
        events += 2
    trained = services.train_all(ctx, organization_id=organization.pk, until=end, days=DAYS + 1)
    devices = [registered[key] for key in keys]
    for hours_ago in range(HEALTH_HOURS - HEALTH_STEP_HOURS, -1, -HEALTH_STEP_HOURS):
        services.health_scores_update(ctx, devices=devices, now=end - timedelta(hours=hours_ago))
    models = len(trained["anomaly_models"]) + (1 if trained["failure_model"] else 0)
    return f"{len(plan)} devices, {stored} readings, {events} events, {models} trained models"
