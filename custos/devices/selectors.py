"""Reads of the device domain: devices with their latest reading, one device by key, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
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
from django.db.models import Field as ModelField
from django.db.models.functions import Cast, Floor, Substr
from django.utils import timezone

from custos.devices.choices import DEFAULT_METRIC
from custos.devices.models import Device, Reading
from custos.kernel.errors import NotFound, ValidationFailed

AGGREGATES = {"avg": Avg, "min": Min, "max": Max, "sum": Sum, "count": Count}


@lru_cache(maxsize=16)
def _latest_reading(metric: str) -> dict[str, Subquery]:
    """The two subqueries of ``with_latest_reading``, built once per metric: building them (a filtered
    queryset each) costs more than running them. Only the query's shape is kept, never a row; ``annotate``
    resolves a copy of each, so the ones kept here never change."""
    newest = Reading.objects.filter(device=OuterRef("pk"), metric=metric).order_by("-timestamp")
    return {
        "latest_timestamp": Subquery(newest.values("timestamp")[:1], output_field=DateTimeField()),
        "latest_value": Subquery(newest.values("value")[:1], output_field=FloatField()),
    }


def with_latest_reading(queryset: QuerySet[Device], *, metric: str = DEFAULT_METRIC) -> QuerySet[Device]:
    """Annotate ``latest_timestamp`` and ``latest_value``: the newest reading of ``metric`` (index-only
    lookups on ``(device, metric, timestamp)``)."""
    return queryset.annotate(**_latest_reading(metric))


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
        # date_part answers a double (EXTRACT a numeric, several times slower to divide and floor)
        seconds_since = Func(Value("epoch"), F("timestamp"), function="date_part", output_field=FloatField())
        return Cast(Floor(seconds_since / Value(float(seconds))) * Value(seconds), BigIntegerField())
    # SQLite stores UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; strftime('%s') is its epoch (the format is a
    # parameter, not SQL text), taken on the whole seconds only: SQLite keeps milliseconds, and would round
    # 08:14:59.9999 up into the next bucket.
    whole_seconds = Substr(F("timestamp"), 1, 19)
    epoch = Cast(Func(Value("%s"), whole_seconds, function="strftime"), BigIntegerField())
    return epoch / Value(seconds) * Value(seconds)


# Up to this many buckets between the window's start and the newest reading are aggregated one index
# range each; wider spans are grouped by the bucket expression (``_epoch_bucket``) instead.
MAX_RANGES = 20_000
_RANGE_AGGREGATES = {"avg": "AVG", "min": "MIN", "max": "MAX", "sum": "SUM", "count": "COUNT"}


def _sqlite_text(moment: datetime) -> str:
    """A date-time as SQLite stores it (Django's form: naive UTC ``str``), for range comparisons."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def _ranged(
    readings: QuerySet[Reading], *, device: Device, metric: str, since: datetime, seconds: int, agg: str, limit: int
) -> list[tuple[int, float | int]] | None:
    """The newest ``limit`` buckets with data, newest first, each aggregated over its own range
    ``[start, start + seconds)`` of the ``(device, metric, timestamp)`` index.

    Grouping by a bucket expression computes it for every reading, and PostgreSQL, unable to tell how
    few buckets there are, sorts every reading by it; here each bucket is one index range scan of the
    readings it holds (SQLite compares its stored timestamp text, parsing nothing). ``None`` when the
    span from the window's start to the newest reading holds more than ``MAX_RANGES`` buckets."""
    newest = readings.aggregate(newest=Max("timestamp"))["newest"]  # one index seek
    if newest is None:
        return []
    first_bucket = int(since.timestamp()) // seconds * seconds
    last_bucket = int(newest.timestamp()) // seconds * seconds
    if (last_bucket - first_bucket) // seconds + 1 > MAX_RANGES:
        return None
    quote = connection.ops.quote_name
    table = quote(Reading._meta.db_table)
    device_field = Reading._meta.get_field("device")
    if not isinstance(device_field, ModelField):  # for the type checker: a concrete foreign key
        raise TypeError("Reading.device is not a concrete field")
    key = device_field.get_db_prep_value(device.pk, connection)
    ts = quote("timestamp")
    where = f"{quote(str(device_field.column))} = %s AND {quote('metric')} = %s"
    aggregate = f"{_RANGE_AGGREGATES[agg]}({'*' if agg == 'count' else quote('value')})"
    present = "result > 0" if agg == "count" else "result IS NOT NULL"  # values are never NULL
    if connection.vendor == "postgresql":
        sql = (
            "SELECT start, result FROM generate_series(%s::bigint, %s::bigint, %s::bigint) AS start "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT {aggregate} AS result FROM {table} WHERE {where} "
            f"AND {ts} >= GREATEST(to_timestamp(start), %s) AND {ts} < to_timestamp(start + %s)) AS bucket "
            f"WHERE {present} ORDER BY start DESC LIMIT %s"
        )
        params: list[Any] = [first_bucket, last_bucket, seconds, key, metric, since, seconds, limit]
    else:  # SQLite: the ranges as a JSON array of [start, from, to] in its stored text form
        ranges = [
            [
                start,
                _sqlite_text(max(since, datetime.fromtimestamp(start, tz=UTC))),
                _sqlite_text(datetime.fromtimestamp(start + seconds, tz=UTC)),
            ]
            for start in range(first_bucket, last_bucket + 1, seconds)
        ]
        sql = (
            "SELECT start, result FROM (SELECT json_extract(b.value, '$[0]') AS start, "  # noqa: S608
            f"(SELECT {aggregate} FROM {table} WHERE {where} "
            f"AND {ts} >= json_extract(b.value, '$[1]') AND {ts} < json_extract(b.value, '$[2]')) AS result "
            f"FROM json_each(%s) AS b) WHERE {present} ORDER BY start DESC LIMIT %s"
        )
        params = [key, metric, orjson.dumps(ranges).decode(), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(start), result) for start, result in cursor.fetchall()]


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
    buckets: list[tuple[int, float | int]] | None = None
    if connection.vendor in ("sqlite", "postgresql"):
        buckets = _ranged(
            readings, device=device, metric=metric, since=since, seconds=interval_seconds, agg=agg, limit=limit
        )
    if buckets is None:
        buckets = _grouped(readings, seconds=interval_seconds, agg=agg, limit=limit)
    buckets.reverse()
    return Series(
        [datetime.fromtimestamp(int(bucket), tz=UTC) for bucket, _ in buckets],
        [result for _, result in buckets],
    )


def _grouped(readings: QuerySet[Reading], *, seconds: int, agg: str, limit: int) -> list[tuple[int, float | int]]:
    """The newest ``limit`` buckets, newest first, grouped in SQL by the bucket of each reading."""
    aggregate = AGGREGATES[agg]("id" if agg == "count" else "value")
    return list(
        readings.annotate(bucket=_epoch_bucket(seconds))
        .values("bucket")
        .annotate(result=aggregate)
        .order_by("-bucket")
        .values_list("bucket", "result")[:limit]
    )
