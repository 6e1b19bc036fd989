"""Report content of the twin (registered into ``custos.reports.registry`` on import; imported by
``TwinConfig.ready``): the device health report and the readings export, from stored data only.

* ``twin_health``: per device its score and status, the health records of the period (count, mean,
  minimum, maximum, latest status), its latest readings and per-metric statistics, its alarms.
* ``twin_readings``: every reading of the period, one row each, streamed from the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber, TruncDay

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.devices.choices import DeviceStatus
from custos.devices.models import Device, Reading
from custos.devices.rules import SOURCE, SUBJECT_TYPE, TWIN_SEVERITY
from custos.modules.twin.analytics.health import status_of
from custos.modules.twin.models import HealthRecord
from custos.reports.registry import (
    Chart,
    ReportContent,
    ReportRequest,
    Section,
    clean_text,
    register_report_kind,
)

ACTIVE_ALARMS = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
EXPORT_CHUNK = 2000


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _devices(request: ReportRequest) -> QuerySet[Device]:
    devices = Device.objects.filter(organization_id=request.organization_id)
    if "device_id" in request.filters:
        devices = devices.filter(device_id=request.filters["device_id"])
    if "device_type" in request.filters:
        devices = devices.filter(device_type=request.filters["device_type"])
    return devices


def _reading_stats(device_pks: list[Any], request: ReportRequest) -> dict[Any, dict[str, dict[str, Any]]]:
    """Per device and metric over the period: count, min, max, mean, and the newest reading (the latest
    timestamp, then the latest row). Two statements: the aggregates, and the newest row of each group
    ranked once in one pass. (A newest-value subquery beside the aggregates lands in the GROUP BY, where
    the database runs it once per reading of the period.)"""
    window = {"timestamp__gte": request.start, "timestamp__lte": request.end}
    readings = Reading.objects.filter(device__in=device_pks, **window)
    rows = (
        readings.values("device", "metric")
        .annotate(
            count=Count("id"),
            minimum=Min("value"),
            maximum=Max("value"),
            mean=Avg("value"),
            latest_at=Max("timestamp"),
        )
        .order_by("device", "metric")
    )
    rank = Window(
        RowNumber(), partition_by=[F("device"), F("metric")], order_by=[F("timestamp").desc(), F("id").desc()]
    )
    newest = {
        (device, metric): value
        for device, metric, value in readings.annotate(rank=rank)
        .filter(rank=1)
        .values_list("device", "metric", "value")
    }
    stats: dict[Any, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        stats[row["device"]][row["metric"]] = {
            "count": row["count"],
            "min": row["minimum"],
            "max": row["maximum"],
            "avg": _round(row["mean"]),
            "latest_value": newest.get((row["device"], row["metric"])),
            "latest_at": row["latest_at"],
        }
    return stats


def _alarms(device_keys: list[str], request: ReportRequest) -> QuerySet[Alert]:
    return Alert.objects.filter(
        organization_id=request.organization_id,
        source=SOURCE,
        subject_type=SUBJECT_TYPE,
        subject_id__in=device_keys,
        created_at__gte=request.start,
        created_at__lte=request.end,
    ).order_by("created_at", "id")


def build_health(request: ReportRequest) -> ReportContent:
    devices = list(_devices(request).order_by("device_id"))
    pks = [device.pk for device in devices]
    keys = [device.device_id for device in devices]
    health = {
        row["device"]: row
        for row in HealthRecord.objects.filter(
            device__in=pks, computed_at__gte=request.start, computed_at__lte=request.end
        )
        .values("device")
        .annotate(
            records=Count("id"), mean=Avg("health_score"), minimum=Min("health_score"), maximum=Max("health_score")
        )
        .order_by()
    }
    newest_record = HealthRecord.objects.filter(
        device=OuterRef("device"), computed_at__gte=request.start, computed_at__lte=request.end
    ).order_by("-computed_at")
    latest_status = (
        dict(
            HealthRecord.objects.filter(pk__in=Subquery(newest_record.values("pk")[:1]), device__in=pks).values_list(
                "device", "status"
            )
        )
        if pks
        else {}
    )
    readings = _reading_stats(pks, request)
    alarms = list(_alarms(keys, request))
    alarms_by_device: dict[str, list[Alert]] = defaultdict(list)
    for alert in alarms:
        alarms_by_device[alert.subject_id].append(alert)

    entries: list[dict[str, Any]] = []
    for device in devices:
        record = health.get(device.pk, {})
        metrics = readings.get(device.pk, {})
        own_alarms = alarms_by_device.get(device.device_id, [])
        severities = Counter(TWIN_SEVERITY.get(a.severity, a.severity) for a in own_alarms)
        entries.append(
            {
                "device_id": device.device_id,
                "name": device.name,
                "device_type": device.device_type,
                "location": device.location,
                "unit": device.unit,
                "status": device.status,
                "health_score": _round(device.health_score),
                "health_status": status_of(device.health_score) if device.health_score is not None else None,
                "efficiency_score": _round(device.efficiency_score),
                "last_seen": device.last_seen,
                "health": {
                    "records": record.get("records", 0),
                    "average": _round(record.get("mean")),
                    "minimum": _round(record.get("minimum")),
                    "maximum": _round(record.get("maximum")),
                    "latest_status": latest_status.get(device.pk),
                },
                "latest_readings": {
                    metric: {"value": figures["latest_value"], "timestamp": figures["latest_at"]}
                    for metric, figures in metrics.items()
                },
                "readings": {
                    metric: {key: figures[key] for key in ("count", "min", "max", "avg")}
                    for metric, figures in metrics.items()
                },
                "alarms": {
                    "raised": len(own_alarms),
                    "active": sum(1 for a in own_alarms if a.status in ACTIVE_ALARMS),
                    "by_severity": dict(sorted(severities.items())),
                },
            }
        )

    scored = [entry["health_score"] for entry in entries if entry["health_score"] is not None]
    statuses = Counter(device.status for device in devices)
    summary = {
        "devices": len(devices),
        "scored_devices": len(scored),
        "average_health_score": _round(sum(scored) / len(scored)) if scored else None,
        "status_distribution": {status: statuses.get(status, 0) for status in DeviceStatus.values},
        "readings": sum(f["count"] for metrics in readings.values() for f in metrics.values()),
        "alarms_raised": len(alarms),
        "active_alarms": sum(1 for a in alarms if a.status in ACTIVE_ALARMS),
    }

    sections: list[Section] = []
    if request.wants("devices"):
        rows = [
            (
                e["device_id"],
                e["name"],
                e["device_type"],
                e["status"],
                e["health_score"],
                e["health_status"],
                e["efficiency_score"],
                e["health"]["average"],
                e["health"]["minimum"],
                sum(figures["count"] for figures in e["readings"].values()),
                e["alarms"]["raised"],
                e["alarms"]["active"],
            )
            for e in entries
        ]
        chart = Chart(
            "bar",
            "Health score by device",
            [e["device_id"] for e in entries],
            {"health score": [e["health_score"] for e in entries]},
        )
        columns: tuple[str, ...] = (
            "device_id",
            "name",
            "device_type",
            "status",
            "health_score",
            "health_status",
            "efficiency_score",
            "average_health",
            "minimum_health",
            "readings",
            "alarms",
            "active_alarms",
        )
        sections.append(Section("devices", "Device health", columns, rows, chart))
    if request.wants("readings"):
        by_key = {device.pk: device.device_id for device in devices}
        rows_readings = [
            (by_key[pk], metric, f["count"], f["min"], f["max"], f["avg"], f["latest_value"], f["latest_at"])
            for pk in pks
            for metric, f in readings.get(pk, {}).items()
        ]
        daily = list(
            Reading.objects.filter(device__in=pks, timestamp__gte=request.start, timestamp__lte=request.end)
            .annotate(day=TruncDay("timestamp"))
            .values("day")
            .annotate(n=Count("id"))
            .order_by("day")
            .values_list("day", "n")
        )
        chart = Chart(
            "line", "Readings per day", [f"{day:%Y-%m-%d}" for day, _ in daily], {"readings": [n for _, n in daily]}
        )
        columns = ("device_id", "metric", "count", "min", "max", "avg", "latest_value", "latest_at")
        sections.append(Section("readings", "Latest readings and statistics", columns, rows_readings, chart))
    if request.wants("alarms"):
        rows_alarms = [
            (
                a.created_at,
                a.subject_id,
                (a.data or {}).get("rule_name") or a.alert_type,
                TWIN_SEVERITY.get(a.severity, a.severity),
                a.status,
                (a.data or {}).get("value"),
                a.message,
            )
            for a in alarms
        ]
        columns = ("time", "device_id", "rule", "severity", "status", "value", "message")
        sections.append(Section("alarms", "Alarms", columns, rows_alarms))
    return ReportContent(title="Device health report", summary=summary, sections=sections, data={"devices": entries})


def _reading_rows(request: ReportRequest) -> Iterator[tuple[Any, ...]]:
    readings = (
        Reading.objects.filter(
            device__in=_devices(request).values("pk"), timestamp__gte=request.start, timestamp__lte=request.end
        )
        .order_by("device__device_id", "metric", "timestamp", "id")
        .values_list("timestamp", "device__device_id", "metric", "value", "device__unit")
    )
    if "metric" in request.filters:
        readings = readings.filter(metric=request.filters["metric"])
    yield from readings.iterator(chunk_size=EXPORT_CHUNK)


def build_readings(request: ReportRequest) -> ReportContent:
    columns = ("timestamp", "device_id", "metric", "value", "unit")
    section = Section("readings", "Readings", columns, _reading_rows(request))
    return ReportContent(title="Readings export", sections=[section])


DEVICE_FILTERS = {"device_id": clean_text(64), "device_type": clean_text(64)}

register_report_kind(
    "twin_health",
    title="Device health report",
    build=build_health,
    sections=("devices", "readings", "alarms"),
    filters=DEVICE_FILTERS,
    description="Per device: health score and status, health history, latest readings and statistics, alarms.",
)
register_report_kind(
    "twin_readings",
    title="Readings export",
    build=build_readings,
    sections=("readings",),
    filters={**DEVICE_FILTERS, "metric": clean_text(64)},
    description="Every reading of the period: timestamp, device, metric, value, unit.",
)
