"""Reads of the operations app: the settings record, request metrics, errors and machine figures."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psutil
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from custos.ops.checks import run_checks
from custos.ops.models import ErrorEvent, SystemSettings
from custos.ops.request_metrics import RouteStats, combine, read_buckets

psutil.cpu_percent(interval=None)  # prime: later calls report the use since the previous call


def settings_current() -> SystemSettings:
    return SystemSettings.load()


def _endpoint_row(key: str, stats: RouteStats) -> dict[str, Any]:
    method, _, route = key.partition(" ")
    return {
        "method": method,
        "endpoint": route,
        "count": stats.count,
        "avg_ms": stats.avg_ms,
        "p95_ms": stats.percentile_ms(0.95),
        "max_ms": round(stats.max_ms, 2),
        "server_errors": stats.server_errors,
        "client_errors": stats.client_errors,
        "error_rate": round(stats.server_errors / stats.count, 4) if stats.count else 0.0,
    }


def _summary(table: dict[str, RouteStats]) -> dict[str, Any]:
    total = RouteStats()
    for stats in table.values():
        total.merge(stats)
    return {
        "total_requests": total.count,
        "server_errors": total.server_errors,
        "client_errors": total.client_errors,
        "error_rate": round(total.server_errors / total.count, 4) if total.count else 0.0,
        "avg_response_ms": total.avg_ms,
        "p50_response_ms": total.percentile_ms(0.50),
        "p95_response_ms": total.percentile_ms(0.95),
        "p99_response_ms": total.percentile_ms(0.99),
        "max_response_ms": round(total.max_ms, 2),
        "status_codes": dict(sorted(total.statuses.items())),
    }


def request_metrics(*, hours: int) -> dict[str, RouteStats]:
    """Per-endpoint stats of the last ``hours`` hours (the current hour included)."""
    current = int(time.time() // 3600)
    tables = read_buckets("h", list(range(current - hours + 1, current + 1)))
    return combine(list(tables.values()))


def performance(*, hours: int) -> dict[str, Any]:
    table = request_metrics(hours=hours)
    rows = sorted((_endpoint_row(key, stats) for key, stats in table.items()), key=lambda row: -row["count"])
    return {
        "hours": hours,
        **_summary(table),
        "endpoints": rows,
        "slowest": sorted(rows, key=lambda row: (-row["p95_ms"], -row["avg_ms"]))[:10],
    }


def requests_per_minute(*, minutes: int = 60) -> list[dict[str, Any]]:
    current = int(time.time() // 60)
    buckets = list(range(current - minutes + 1, current + 1))
    tables = read_buckets("m", buckets)
    timeline = []
    for bucket in buckets:
        total = RouteStats()
        for stats in tables[bucket].values():
            total.merge(stats)
        timeline.append(
            {
                "minute": datetime.fromtimestamp(bucket * 60, tz=UTC).isoformat(),
                "requests": total.count,
                "server_errors": total.server_errors,
                "avg_ms": total.avg_ms,
            }
        )
    return timeline


def _error_row(event: ErrorEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "timestamp": event.created_at,
        "method": event.method,
        "path": event.path,
        "route": event.route,
        "status_code": event.status_code,
        "exception_type": event.exception_type,
        "message": event.message,
        "request_id": event.request_id,
        "user_id": event.user_id or None,
        "duration_ms": event.duration_ms,
    }


def errors(*, hours: int, limit: int = 100) -> dict[str, Any]:
    since = timezone.now() - timedelta(hours=hours)
    events = ErrorEvent.objects.filter(created_at__gte=since)
    by_status = dict(events.values_list("status_code").annotate(n=Count("id")).order_by("status_code"))
    by_type = dict(
        events.exclude(exception_type="").values_list("exception_type").annotate(n=Count("id")).order_by("-n")[:20]
    )
    table = request_metrics(hours=hours)
    client_errors = sum(stats.client_errors for stats in table.values())
    return {
        "hours": hours,
        "total": sum(by_status.values()),
        "by_status": {str(code): total for code, total in by_status.items()},
        "by_type": by_type,
        "client_errors": client_errors,
        "errors": [_error_row(event) for event in events.order_by("-created_at")[:limit]],
    }


def machine() -> dict[str, Any]:
    disk_path = settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else settings.CUSTOS_HOME
    memory = psutil.virtual_memory()
    return {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "cpu_count": psutil.cpu_count(),
        "memory_percent": memory.percent,
        "memory_used_mb": round(memory.used / 1024**2, 1),
        "memory_total_mb": round(memory.total / 1024**2, 1),
        "disk_percent": psutil.disk_usage(str(disk_path)).percent,
        "load_average": [round(value, 2) for value in psutil.getloadavg()],
        "process_rss_mb": round(psutil.Process().memory_info().rss / 1024**2, 1),
    }


def websocket_connections() -> int:
    from custos.ops.services import WEBSOCKET_COUNTER_KEY

    return max(0, int(cache.get(WEBSOCKET_COUNTER_KEY) or 0))


def availability() -> dict[str, bool]:
    results = run_checks()
    return {name: result.ok for name, result in results.items()}


def dashboard() -> dict[str, Any]:
    last_hour = request_metrics(hours=1)
    day_errors = ErrorEvent.objects.filter(created_at__gte=timezone.now() - timedelta(hours=24))
    results = run_checks()
    return {
        "generated_at": timezone.now(),
        "requests": {"last_hour": _summary(last_hour), "per_minute": requests_per_minute(minutes=60)},
        "errors": {
            "last_24h": day_errors.count(),
            "recent": [_error_row(event) for event in day_errors.order_by("-created_at")[:10]],
        },
        "top_endpoints": sorted(
            (_endpoint_row(key, stats) for key, stats in last_hour.items()), key=lambda row: -row["count"]
        )[:10],
        "services": {name: result.label for name, result in results.items()},
        "system": machine(),
        "websocket_connections": websocket_connections(),
    }
