"""Reads of the device domain: devices with their latest reading, one device by key, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Avg,
    BigIntegerField,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Extract, Floor
from django.utils import timezone

from custos.devices.choices import DEFAULT_METRIC
from custos.devices.models import Device, Reading
from custos.kernel.errors import NotFound, ValidationFailed

AGGREGATES = {"avg": Avg, "min": Min, "max": Max, "sum": Sum, "count": Count}


def with_latest_reading(queryset: QuerySet[Device], *, metric: str = DEFAULT_METRIC) -> QuerySet[Device]:
    """Annotate ``latest_timestamp`` and ``latest_value``: the newest reading of ``metric`` (index-only
    lookups on ``(device, metric, timestamp)``)."""
    newest = Reading.objects.filter(device=OuterRef("pk"), metric=metric).order_by("-timestamp")
    return queryset.annotate(
        latest_timestamp=Subquery(newest.values("timestamp")[:1], output_field=DateTimeField()),
        latest_value=Subquery(newest.values("value")[:1], output_field=FloatField()),
    )


def device_get(*, organization_ids: Sequence[Any], device_id: str) -> Device:
    """The device ``device_id`` among ``organization_ids`` (404 otherwise; never says whether it exists
    elsewhere). A key held by several of the caller's organizations needs the organization named."""
    found = list(Device.objects.filter(organization_id__in=list(organization_ids), device_id=device_id)[:2])
    if not found:
        raise NotFound(f"Device {device_id!r} not found.")
    if len(found) > 1:
        raise ValidationFailed(
            f"Several of your organizations have a device {device_id!r}: name one in the X-Organization header.",
            code="ORGANIZATION_REQUIRED",
        )
    return found[0]


def device_id_is_ambiguous(*, organization_ids: Sequence[Any], device_id: str) -> bool:
    if len(organization_ids) < 2:
        return False
    return Device.objects.filter(organization_id__in=list(organization_ids), device_id=device_id).count() > 1


def _epoch_bucket(seconds: int) -> Any:
    """The start (epoch seconds) of the ``seconds``-long bucket holding each reading, in SQL."""
    if connection.vendor == "postgresql":
        seconds_since = Extract("timestamp", "epoch")
        return Cast(Floor(seconds_since / Value(float(seconds))) * Value(seconds), BigIntegerField())
    # SQLite stores UTC text; strftime('%s') is its epoch (the format is a parameter, not SQL text).
    epoch = Cast(Func(Value("%s"), F("timestamp"), function="strftime"), BigIntegerField())
    return epoch / Value(seconds) * Value(seconds)


@dataclass(frozen=True)
class Series:
    timestamps: list[datetime]
    values: list[float | int | None]


def reading_series(
    *,
    device: Device,
    metric: str = DEFAULT_METRIC,
    hours: int = 24,
    interval_seconds: int | None = None,
    agg: str = "avg",
    limit: int = 1000,
    now: datetime | None = None,
) -> Series:
    """The newest ``limit`` points of ``metric`` over the last ``hours``, oldest first: the readings
    themselves, or with ``interval_seconds`` one aggregate (``agg``) per time bucket that has data."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    readings = Reading.objects.filter(device=device, metric=metric, timestamp__gte=since)
    if interval_seconds is None:
        rows = list(readings.order_by("-timestamp").values_list("timestamp", "value")[:limit])
        rows.reverse()
        return Series([ts for ts, _ in rows], [value for _, value in rows])
    aggregate = AGGREGATES[agg]("id" if agg == "count" else "value")
    buckets = list(
        readings.annotate(bucket=_epoch_bucket(interval_seconds))
        .values("bucket")
        .annotate(result=aggregate)
        .order_by("-bucket")
        .values_list("bucket", "result")[:limit]
    )
    buckets.reverse()
    return Series(
        [datetime.fromtimestamp(int(bucket), tz=UTC) for bucket, _ in buckets],
        [result for _, result in buckets],
    )
