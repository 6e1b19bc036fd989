"""The twin analytics over stored data: training (anomaly and failure models into custos.ml), scoring
(health onto ``Device`` and ``HealthRecord``), and the read-side answers (predictions,
recommendations). Nothing here is random: every figure comes from stored readings and events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from custos.devices.models import Device, DeviceEvent, DeviceEventType
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound
from custos.ml import services as ml
from custos.ml.models import MLModel
from custos.ml.selectors import model_summary
from custos.modules.twin.analytics import anomaly, failure, health, recommendations
from custos.modules.twin.analytics.series import EMPTY, Baseline, DeviceSeries, load_series, robust_baseline
from custos.modules.twin.models import HealthRecord

ANOMALY_TASK = "twin.anomaly"
FAILURE_TASK = "twin.failure"
TRAIN_DAYS = 30
BASELINE_HOURS = health.BASELINE_HOURS
NO_FAILURES_REASON = (
    "No failure has been recorded for this organization's devices, so there is nothing to learn failures "
    "from: record failures with POST /api/devices/{device_id}/events."
)
NOT_TRAINED_REASON = "No failure model has been trained yet; training runs periodically once failures are recorded."

Progress = Callable[[int, int, str], None]


def _utc(seconds: float) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(float(seconds), tz=UTC)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- Training -------------------------------------------------------------------------------------


def train_anomaly_models(
    ctx: WriteContext, *, organization_id: Any, until: datetime | None = None, days: int = TRAIN_DAYS, job_id: str = ""
) -> list[MLModel]:
    """One IsolationForest per device type with at least ``MIN_TRAIN_READINGS`` stored readings in the
    ``days`` before ``until``; types with less history keep using the robust z-score."""
    end = until or timezone.now()
    start = end - timedelta(days=days)
    by_type: dict[str, list[Any]] = defaultdict(list)
    for pk, device_type in Device.objects.filter(organization_id=organization_id).values_list("pk", "device_type"):
        by_type[device_type].append(pk)
    registered = []
    for device_type, pks in sorted(by_type.items()):
        series = load_series(pks, start=start, end=end)
        rows = []
        for one in series.values():
            baseline = robust_baseline(one.v)
            if baseline is not None:
                rows.append(anomaly.features(one.v, baseline))
        total = sum(len(r) for r in rows)
        if total < anomaly.MIN_TRAIN_READINGS:
            continue
        matrix = np.vstack(rows)
        estimator = anomaly.train(matrix)
        flagged = (estimator.predict(matrix) == -1) & (np.abs(matrix[:, 0]) >= anomaly.MODEL_Z_GATE)
        registered.append(
            ml.model_register(
                ctx,
                organization_id=organization_id,
                task=ANOMALY_TASK,
                scope=device_type,
                algorithm="isolation_forest",
                estimator=estimator,
                metrics={
                    "readings": int(total),
                    "devices": sum(1 for one in series.values() if len(one)),
                    "flagged_share_in_training": round(float(flagged.mean()), 6),
                    "z_gate": anomaly.MODEL_Z_GATE,
                },
                parameters={"n_estimators": 200, "contamination": "auto", "days": days},
                features=anomaly.FEATURES,
                samples=int(min(total, anomaly.MAX_TRAIN_ROWS)),
                trained_from=start,
                trained_to=end,
                job_id=job_id,
            )
        )
    return registered


def _failure_times(*, organization_id: Any, start: datetime, end: datetime) -> dict[Any, list[float]]:
    times: dict[Any, list[float]] = defaultdict(list)
    for device_pk, moment in DeviceEvent.objects.filter(
        organization_id=organization_id,
        event_type=DeviceEventType.FAILURE,
        timestamp__gte=start,
        timestamp__lte=end,
    ).values_list("device_id", "timestamp"):
        times[device_pk].append(moment.timestamp())
    return times


@dataclass(frozen=True)
class FailureTraining:
    model: MLModel | None
    reason: str = ""


def train_failure_model(
    ctx: WriteContext, *, organization_id: Any, until: datetime | None = None, days: int = TRAIN_DAYS, job_id: str = ""
) -> FailureTraining:
    """A random forest on the windows of every device of the organization, labelled by the failures
    recorded in the ``days`` before ``until``; no model without a recorded failure."""
    end = until or timezone.now()
    start = end - timedelta(days=days)
    failures = _failure_times(organization_id=organization_id, start=start, end=end)
    if not failures:
        return FailureTraining(None, NO_FAILURES_REASON)
    pks = list(Device.objects.filter(organization_id=organization_id).values_list("pk", flat=True))
    series = load_series(pks, start=start, end=end)
    blocks_x, blocks_y = [], []
    for pk, one in series.items():
        baseline = robust_baseline(one.v)
        if baseline is None:
            continue
        ends = failure.window_ends(one.t[0] + failure.WINDOW_HOURS * 3600, one.t[-1])
        X, valid = failure.window_features(one.t, baseline.z(one.v), ends)
        y, keep = failure.labels(ends, failures.get(pk, []))
        mask = valid & keep
        blocks_x.append(X[mask])
        blocks_y.append(y[mask])
    X = np.vstack(blocks_x) if blocks_x else np.empty((0, len(failure.FEATURES)))
    y = np.concatenate(blocks_y).astype(int) if blocks_y else np.empty(0, dtype=int)
    positives = int(y.sum())
    if positives == 0:
        return FailureTraining(None, "Failures are recorded, but no readings precede them within the horizon.")
    estimator = failure.train(X, y)
    in_sample = failure.probabilities(estimator, X)
    model = ml.model_register(
        ctx,
        organization_id=organization_id,
        task=FAILURE_TASK,
        algorithm="random_forest",
        estimator=estimator,
        metrics={
            "failures": sum(len(v) for v in failures.values()),
            "positive_windows": positives,
            "negative_windows": int(len(y) - positives),
            "in_sample_recall": round(float(((in_sample >= failure.HIGH_RISK) & (y == 1)).sum() / positives), 4),
        },
        parameters={
            "window_hours": failure.WINDOW_HOURS,
            "horizon_hours": failure.HORIZON_HOURS,
            "step_seconds": failure.STEP_SECONDS,
            "days": days,
        },
        features=failure.FEATURES,
        samples=len(y),
        trained_from=start,
        trained_to=end,
        job_id=job_id,
    )
    return FailureTraining(model)


def train_all(
    ctx: WriteContext,
    *,
    organization_id: Any,
    until: datetime | None = None,
    days: int = TRAIN_DAYS,
    job_id: str = "",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Both trainings for one organization (the body of the training job)."""
    if progress:
        progress(0, 2, "training anomaly models")
    anomaly_models = train_anomaly_models(ctx, organization_id=organization_id, until=until, days=days, job_id=job_id)
    if progress:
        progress(1, 2, "training the failure model")
    failure_training = train_failure_model(ctx, organization_id=organization_id, until=until, days=days, job_id=job_id)
    if progress:
        progress(2, 2, "done")
    return {
        "anomaly_models": [model_summary(m) for m in anomaly_models],
        "failure_model": model_summary(failure_training.model),
        "failure_reason": failure_training.reason or None,
    }


# --- Health ---------------------------------------------------------------------------------------


def _maintenance_ages(device_pks: Sequence[Any], *, now: datetime) -> dict[Any, float]:
    latest: dict[Any, float] = {}
    rows = DeviceEvent.objects.filter(
        device_id__in=list(device_pks),
        event_type__in=(DeviceEventType.MAINTENANCE, DeviceEventType.REPAIR),
        timestamp__lte=now,
    ).values_list("device_id", "timestamp")
    for pk, moment in rows:
        age = (now - moment).total_seconds() / 86400
        latest[pk] = min(age, latest.get(pk, age))
    return latest


def _recent_failures(device_pks: Sequence[Any], *, now: datetime) -> dict[Any, int]:
    counts: dict[Any, int] = defaultdict(int)
    since = now - timedelta(days=health.FAILURE_LOOKBACK_DAYS)
    for pk in DeviceEvent.objects.filter(
        device_id__in=list(device_pks), event_type=DeviceEventType.FAILURE, timestamp__gt=since, timestamp__lte=now
    ).values_list("device_id", flat=True):
        counts[pk] += 1
    return counts


def _trend_z_per_day(window: DeviceSeries, baseline: Baseline) -> float | None:
    if len(window) < 3 or window.t[-1] == window.t[0]:
        return None
    days = (window.t - window.t.mean()) / 86400
    slope = float(np.dot(days, window.v - window.v.mean()) / np.dot(days, days))
    return slope / baseline.scale


@dataclass(frozen=True)
class Scored:
    device: Device
    health: health.Health | None
    figures: dict[str, Any]


def score_devices(devices: Iterable[Device], *, now: datetime | None = None) -> list[Scored]:
    """The health of each device now, from its stored readings and events (read only)."""
    devices = list(devices)
    now = now or timezone.now()
    pks = [d.pk for d in devices]
    series = load_series(pks, start=now - timedelta(hours=BASELINE_HOURS), end=now)
    ages = _maintenance_ages(pks, now=now)
    failures = _recent_failures(pks, now=now)
    end = now.timestamp()
    scored = []
    for device in devices:
        one = series.get(device.pk, EMPTY)
        baseline = robust_baseline(one.v)
        window = one.between(end - health.WINDOW_HOURS * 3600, end)
        result = None
        figures: dict[str, Any] = {"readings": len(window)}
        if baseline is not None:
            result = health.compute(
                window=window,
                window_end=end,
                baseline=baseline,
                failures_recent=failures.get(device.pk, 0),
                days_since_maintenance=ages.get(device.pk),
                metadata=device.metadata or {},
            )
            figures.update(
                baseline_median=baseline.median,
                baseline_scale=baseline.scale,
                baseline_readings=baseline.count,
                trend_z_per_day=_trend_z_per_day(window, baseline),
                failures_recent=failures.get(device.pk, 0),
                days_since_maintenance=ages.get(device.pk),
            )
        scored.append(Scored(device, result, figures))
    return scored


def health_scores_update(ctx: WriteContext, *, devices: Iterable[Device], now: datetime | None = None) -> list[Scored]:
    """Score ``devices`` and store the result on ``Device.health_score``/``efficiency_score`` and as a
    ``HealthRecord`` (the analytics' own bookkeeping: no audit row). Devices without readings in the
    last 24 hours keep their previous score."""
    now = now or timezone.now()
    scored = score_devices(devices, now=now)
    with transaction.atomic():
        records = []
        for item in scored:
            if item.health is None:
                continue
            Device.objects.filter(pk=item.device.pk).update(
                health_score=item.health.score, efficiency_score=item.health.efficiency
            )
            item.device.health_score, item.device.efficiency_score = item.health.score, item.health.efficiency
            records.append(
                HealthRecord(
                    organization_id=item.device.organization_id,
                    device=item.device,
                    computed_at=now,
                    health_score=item.health.score,
                    efficiency_score=item.health.efficiency,
                    status=item.health.status,
                    components=item.health.components,
                    figures=item.figures,
                )
            )
        HealthRecord.objects.bulk_create(records)
    return scored


def health_scores_update_all(*, now: datetime | None = None) -> int:
    """The periodic job's body: every device of every organization, one organization at a time."""
    count = 0
    organization_ids = Device.objects.values_list("organization_id", flat=True).distinct()
    for organization_id in list(organization_ids):
        devices = Device.objects.filter(organization_id=organization_id)
        scored = health_scores_update(WriteContext.system(organization_id=organization_id), devices=devices, now=now)
        count += sum(1 for item in scored if item.health is not None)
    return count


def health_retention() -> timedelta:
    return timedelta(days=int(getattr(settings, "TWIN_HEALTH_RETENTION_DAYS", 90)))


def health_records_prune(*, now: datetime | None = None) -> int:
    """Remove the stored health history older than ``TWIN_HEALTH_RETENTION_DAYS`` (the devices keep
    their current scores); the number removed. Run by the hourly ``twin.update_health_scores``."""
    cutoff = (now or timezone.now()) - health_retention()
    removed, _ = HealthRecord.objects.filter(computed_at__lt=cutoff).delete()
    return removed


# --- Predictions ----------------------------------------------------------------------------------


def _estimator(model: MLModel | None) -> Any:
    return ml.load_estimator(model) if model is not None else None


def failure_probabilities(
    device: Device, *, series: DeviceSeries, baseline: Baseline, start: float, end: float
) -> dict[str, Any]:
    """The failure model's answer for the windows ending on each hour of ``[start, end]``."""
    model = ml.active_model(organization_id=device.organization_id, task=FAILURE_TASK)
    if model is None:
        recorded = DeviceEvent.objects.filter(
            organization_id=device.organization_id, event_type=DeviceEventType.FAILURE
        ).exists()
        return {
            "model": None,
            "model_version": None,
            "reason": NOT_TRAINED_REASON if recorded else NO_FAILURES_REASON,
            "predictions": [],
            "failure_probabilities": [],
            "high_risk_count": None,
            "timestamps": [],
        }
    ends = failure.window_ends(start, end)
    X, valid = failure.window_features(series.t, baseline.z(series.v), ends)
    probabilities = failure.probabilities(_estimator(model), X[valid])
    return {
        "model": model_summary(model),
        "model_version": model.version,
        "predictions": [int(p >= failure.HIGH_RISK) for p in probabilities],
        "failure_probabilities": [round(float(p), 4) for p in probabilities],
        "high_risk_count": int((probabilities >= failure.HIGH_RISK).sum()),
        "latest_probability": round(float(probabilities[-1]), 4) if len(probabilities) else None,
        "timestamps": [_z(_utc(t)) for t in ends[valid]],
        "window_hours": failure.WINDOW_HOURS,
        "horizon_hours": failure.HORIZON_HOURS,
        "threshold": failure.HIGH_RISK,
    }


def device_predictions(device: Device, *, hours: int, now: datetime | None = None) -> dict[str, Any]:
    """Anomalies among the readings of the last ``hours`` and the failure risk over the same hours
    (404 when the device has no readings there)."""
    now = now or timezone.now()
    end = now.timestamp()
    start = end - hours * 3600
    span = max(BASELINE_HOURS, hours + failure.WINDOW_HOURS)
    series = load_series([device.pk], start=now - timedelta(hours=span), end=now)[device.pk]
    window = series.between(start, end)
    if len(window) == 0:
        raise NotFound(f"Device {device.device_id!r} has no readings in the last {hours} hours.")
    baseline = robust_baseline(series.v)
    assert baseline is not None  # the window has readings
    model = ml.active_model(organization_id=device.organization_id, task=ANOMALY_TASK, scope=device.device_type)
    detection = anomaly.detect(window.v, baseline, _estimator(model))
    indices = np.flatnonzero(detection.flags)
    return {
        "device_id": device.device_id,
        "window": {"start": _z(_utc(start)), "end": _z(now), "hours": hours},
        "anomaly_prediction": {
            "anomaly_count": len(indices),
            "anomaly_percentage": round(100.0 * len(indices) / len(window), 4),
            "anomaly_indices": [int(i) for i in indices],
            "anomaly_timestamps": [_z(_utc(window.t[i])) for i in indices],
            "anomaly_values": [float(window.v[i]) for i in indices],
            "anomaly_scores": [round(float(detection.scores[i]), 4) for i in indices],
            "readings_analyzed": len(window),
            "method": detection.method,
            "baseline": {"median": baseline.median, "scale": baseline.scale, "readings": baseline.count},
            "model": model_summary(model),
            "model_version": model.version if model else None,
        },
        "failure_prediction": failure_probabilities(
            device, series=series, baseline=baseline, start=max(start, series.t[0]), end=end
        ),
    }


# --- Recommendations ------------------------------------------------------------------------------


def latest_health_records(devices: Sequence[Device]) -> dict[Any, HealthRecord]:
    """The newest stored health record of each device (one query, whatever the history's length)."""
    newest = HealthRecord.objects.filter(device=OuterRef("device")).order_by("-computed_at").values("pk")[:1]
    records = HealthRecord.objects.filter(device__in=list(devices), pk=Subquery(newest))
    return {record.device_id: record for record in records}


def recommendations_for(devices: Sequence[Device], *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every device's recommendations, highest composite first. Health comes from the latest stored
    record (devices never scored are scored now); the failure risk from the active model on the
    window ending now."""
    now = now or timezone.now()
    devices = list(devices)
    latest = latest_health_records(devices)
    missing = [d for d in devices if d.pk not in latest]
    if missing:
        by_org: dict[Any, list[Device]] = defaultdict(list)
        for device in missing:
            by_org[device.organization_id].append(device)
        for organization_id, group in by_org.items():
            health_scores_update(WriteContext.system(organization_id=organization_id), devices=group, now=now)
        latest = latest_health_records(devices)
    end = now.timestamp()
    series = load_series([d.pk for d in devices], start=now - timedelta(hours=failure.WINDOW_HOURS), end=now)
    models = {
        organization_id: ml.active_model(organization_id=organization_id, task=FAILURE_TASK)
        for organization_id in {d.organization_id for d in devices}
    }
    found: list[recommendations.Recommendation] = []
    for device in devices:
        record = latest.get(device.pk)
        components = record.components if record else None
        figures = record.figures if record else {}
        probability = None
        model = models.get(device.organization_id)
        one = series.get(device.pk, EMPTY)
        if model is not None and figures.get("baseline_scale") and len(one):
            baseline = Baseline(
                figures["baseline_median"], figures["baseline_scale"], figures.get("baseline_readings", 0)
            )
            X, valid = failure.window_features(one.t, baseline.z(one.v), np.asarray([end]))
            if valid[0]:
                probability = float(failure.probabilities(_estimator(model), X)[0])
        found.extend(
            recommendations.for_device(
                device_id=device.device_id,
                device_type=device.device_type,
                components=components,
                trend_z_per_day=figures.get("trend_z_per_day"),
                failure_probability=probability,
            )
        )
    found.sort(key=lambda r: (-r.composite_score, r.device_id, r.title))
    return [r.as_dict() for r in found]
