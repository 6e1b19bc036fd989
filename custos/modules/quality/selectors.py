"""Reads of the quality domain: who a dashboard is, history filters, statistics and dashboard figures."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from custos.devices.models import Device
from custos.identity.authentication import user_from_access_token
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.analysis.tof import TARGET_HEIGHT_MM
from custos.modules.quality.models import QualitySample
from custos.modules.quality.presenters import sensor_update_payload
from custos.orgs.models import Membership

USL_MM = 55.0
LSL_MM = 45.0
CAPABLE_CPK = 1.33
MOVING_WINDOW = 10


def user_for_access_token(raw: str) -> Any | None:
    """The active user of an access token, or ``None``."""
    if not raw:
        return None
    try:
        user = user_from_access_token(raw)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None
    return user if user is not None and user.is_active else None


def member_org_ids(*, user: Any) -> list[Any]:
    return list(
        Membership.objects.filter(user=user, organization__is_active=True).values_list("organization_id", flat=True)
    )


def samples_of(org_ids: Iterable[Any]) -> QuerySet[QualitySample]:
    return QualitySample.objects.filter(organization_id__in=list(org_ids)).select_related("device")


def latest_payloads(*, org_ids: Iterable[Any], limit: int) -> list[dict[str, Any]]:
    return [sensor_update_payload(sample) for sample in samples_of(org_ids).order_by("-timestamp")[:limit]]


def for_device(queryset: QuerySet[QualitySample], device_id: str) -> QuerySet[QualitySample]:
    """The samples of the station(s) named ``device_id``, by primary key: the planner then walks the
    (device, timestamp) index of that station instead of every station's rows in the period."""
    devices = list(Device.objects.filter(device_id=device_id).values_list("pk", flat=True))
    return queryset.filter(device_id__in=devices)


def filter_samples(
    queryset: QuerySet[QualitySample],
    *,
    grade: str | None = None,
    device_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[QualitySample]:
    if grade:
        queryset = queryset.filter(grade=grade)
    if device_id:
        queryset = for_device(queryset, device_id)
    if start is not None:
        queryset = queryset.filter(timestamp__gte=start)
    if end is not None:
        queryset = queryset.filter(timestamp__lte=end)
    return queryset


def grade_distribution(queryset: QuerySet[QualitySample]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("grade").annotate(n=Count("id")))
    return {grade: int(counts.get(grade, 0)) for grade in GRADES}


def stats(queryset: QuerySet[QualitySample]) -> dict[str, Any]:
    """``totalAnalyses, averageQuality, gradeDistribution, defectRate`` (% of C and REJECT)."""
    aggregate = queryset.order_by().aggregate(total=Count("id"), average=Avg("fusion_score"))
    total = int(aggregate["total"] or 0)
    distribution = grade_distribution(queryset)
    defective = distribution["C"] + distribution["REJECT"]
    return {
        "total_analyses": total,
        "average_quality": round(float(aggregate["average"]), 4) if aggregate["average"] is not None else 0.0,
        "grade_distribution": distribution,
        "defect_rate": round(100.0 * defective / total, 2) if total else 0.0,
    }


def timeseries(queryset: QuerySet[QualitySample], *, interval: str) -> list[dict[str, Any]]:
    trunc = TruncDay if interval == "day" else TruncHour
    rows = (
        queryset.order_by()
        .annotate(bucket=trunc("timestamp"))
        .values("bucket")
        .annotate(
            count=Count("id"),
            average_quality=Avg("fusion_score"),
            average_height_mm=Avg("avg_height_mm"),
            rejects=Count("id", filter=Q(grade="REJECT")),
        )
        .order_by("bucket")
    )
    return [
        {
            "time": row["bucket"].isoformat(),
            "count": row["count"],
            "average_quality": round(float(row["average_quality"]), 4),
            "average_height_mm": round(float(row["average_height_mm"]), 3)
            if row["average_height_mm"] is not None
            else None,
            "rejects": row["rejects"],
        }
        for row in rows
    ]


def capability(values: list[float], *, usl: float = USL_MM, lsl: float = LSL_MM) -> dict[str, Any]:
    """Cp = (USL - LSL) / 6sigma, Cpk = min(USL - mean, mean - LSL) / 3sigma (sample standard deviation); ``None``
    with fewer than two values or no spread."""
    if len(values) < 2:
        return {"cp": None, "cpk": None, "mean": values[0] if values else None, "std": None, "capable": None}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    if std == 0:
        return {"cp": None, "cpk": None, "mean": round(mean, 3), "std": 0.0, "capable": None}
    cp = (usl - lsl) / (6 * std)
    cpk = min(usl - mean, mean - lsl) / (3 * std)
    return {
        "cp": round(cp, 4),
        "cpk": round(cpk, 4),
        "mean": round(mean, 3),
        "std": round(std, 4),
        "capable": cpk >= CAPABLE_CPK,
    }


def period(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def dashboard_metrics(queryset: QuerySet[QualitySample]) -> dict[str, Any]:
    figures = stats(queryset)
    latest = queryset.order_by("-timestamp").first()
    return {
        **figures,
        "active_devices": queryset.order_by().values("device").distinct().count(),
        "last_sample_at": latest.timestamp.isoformat() if latest else None,
        "last_grade": latest.grade if latest else None,
    }


def foie_gras_metrics(queryset: QuerySet[QualitySample]) -> dict[str, Any]:
    rows = list(
        queryset.order_by("timestamp").values_list(
            "avg_height_mm", "grade", "fusion_score", "freshness_index", "delta_e", "spectral_metrics"
        )
    )
    total = len(rows)
    grades = [row[1] for row in rows]
    heights = [row[0] for row in rows if row[0] is not None]
    maturity = [row[5].get("maturity_index") for row in rows if row[5] and row[5].get("maturity_index") is not None]
    freshness = [row[3] for row in rows if row[3] is not None]
    delta_e = [row[4] for row in rows if row[4] is not None]

    def rate(selected: set[str]) -> float:
        return round(100.0 * sum(1 for g in grades if g in selected) / total, 2) if total else 0.0

    def mean(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    window = [row[2] for row in rows[-MOVING_WINDOW:]]
    return {
        "total_samples": total,
        "conformity_rate": rate({"A+", "A"}),
        "downgrade_rate": rate({"B", "C"}),
        "reject_rate": rate({"REJECT"}),
        "process_capability": {
            "usl": USL_MM,
            "lsl": LSL_MM,
            "target": TARGET_HEIGHT_MM,
            **capability(heights),
        },
        "moving_average_quality": mean(window),
        "moving_average_height_mm": mean(heights[-MOVING_WINDOW:]),
        "maturity_index": mean(maturity),
        "freshness_index": mean(freshness),
        "color_delta_e": mean(delta_e),
        "grade_distribution": {grade: grades.count(grade) for grade in GRADES},
    }


def foie_gras_alerts(queryset: QuerySet[QualitySample]) -> list[dict[str, Any]]:
    """The dashboard's alert rules over the period: Cpk < 1, mean ΔE > 8, |mean height - 50| > 5 mm,
    latest grade C or REJECT."""
    metrics = foie_gras_metrics(queryset)
    alerts: list[dict[str, Any]] = []
    cpk = metrics["process_capability"]["cpk"]
    if cpk is not None and cpk < 1:
        alerts.append({"rule": "cpk", "severity": "high", "value": cpk, "message": f"Cpk {cpk:.2f} < 1."})
    if metrics["color_delta_e"] is not None and metrics["color_delta_e"] > 8:
        value = metrics["color_delta_e"]
        alerts.append({"rule": "delta_e", "severity": "medium", "value": value, "message": f"ΔE {value:.2f} > 8."})
    mean_height = metrics["process_capability"]["mean"]
    if mean_height is not None and abs(mean_height - TARGET_HEIGHT_MM) > 5:
        deviation = round(mean_height - TARGET_HEIGHT_MM, 3)
        alerts.append(
            {
                "rule": "height_deviation",
                "severity": "medium",
                "value": deviation,
                "message": f"Mean height deviates {deviation:+.1f} mm from the 50 mm target.",
            }
        )
    latest = queryset.order_by("-timestamp").select_related("device").first()
    if latest is not None and latest.grade in ("C", "REJECT"):
        alerts.append(
            {
                "rule": "latest_grade",
                "severity": "high" if latest.grade == "REJECT" else "medium",
                "value": latest.grade,
                "message": f"Latest sample {latest.sample_id} on {latest.device.device_id} graded {latest.grade}.",
            }
        )
    return alerts
