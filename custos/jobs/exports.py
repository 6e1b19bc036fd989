"""Files produced by jobs (twin ``start_report`` and ``export_data``), from data that exists today.

* The health report describes the platform as the requester's organization sees it: the dependency
  checks (database, cache, queue) measured when the report runs, and the organization's job activity
  over the period (counts by status and type, success rate, durations, top errors). Device health
  joins it when the twin device domain exists.
* The export is the job history the requester may see over the last ``days`` days, as JSON or CSV.

Files go to the default storage under ``reports/`` and ``exports/``; only the job's owner can fetch them.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import orjson
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Avg, Count, Max, Q
from django.utils import timezone

from custos.jobs.models import Job, JobStatus
from custos.jobs.selectors import job_visible

EXPORT_COLUMNS = (
    "task_id",
    "job_type",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "duration_seconds",
    "retries",
    "progress_current",
    "progress_total",
    "error",
)


def _store(folder: str, filename: str, content: bytes) -> str:
    path = f"{folder}/{filename}"
    if default_storage.exists(path):  # a retried job writes the same file again
        default_storage.delete(path)
    return default_storage.save(path, ContentFile(content))


def _jobs_for(job: Job, days: int) -> Any:
    since = timezone.now() - timedelta(days=days)
    return job_visible(user=job.owner).filter(created_at__gte=since).exclude(pk=job.pk)


def health_report(*, job: Job, days: int) -> dict[str, Any]:
    from custos.ops.checks import check_cache, check_database, check_queue

    jobs = _jobs_for(job, days)
    if job.organization_id:
        jobs = jobs.filter(organization_id=job.organization_id)
    totals = jobs.aggregate(
        total=Count("id"),
        success=Count("id", filter=Q(status=JobStatus.SUCCESS)),
        failure=Count("id", filter=Q(status=JobStatus.FAILURE)),
        avg=Avg("duration_seconds", filter=Q(status=JobStatus.SUCCESS)),
        longest=Max("duration_seconds"),
    )
    finished = totals["success"] + totals["failure"]
    checks = {"database": check_database(), "cache": check_cache(), "queue": check_queue()}
    organization = job.organization if job.organization_id else None
    return {
        "report": "health",
        "generated_at": timezone.now().isoformat(),
        "organization": {"id": str(job.organization_id), "name": organization.name}
        if organization is not None
        else None,
        "period_days": days,
        "checks": {name: {"ok": r.ok, "detail": r.detail, "latency_ms": r.latency_ms} for name, r in checks.items()},
        "jobs": {
            "total": totals["total"],
            "by_status": dict(jobs.values_list("status").annotate(n=Count("id")).order_by("status")),
            "by_type": dict(jobs.values_list("job_type").annotate(n=Count("id")).order_by("job_type")),
            "success_rate": round(100 * totals["success"] / finished, 2) if finished else None,
            "avg_duration_seconds": round(totals["avg"], 3) if totals["avg"] is not None else None,
            "max_duration_seconds": totals["longest"],
            "top_errors": [
                {"error": row["error"], "count": row["n"]}
                for row in jobs.filter(status=JobStatus.FAILURE)
                .values("error")
                .annotate(n=Count("id"))
                .order_by("-n", "error")[:5]
            ],
        },
        "status": "healthy" if all(r.ok for r in checks.values()) else "degraded",
    }


def write_health_report(*, job: Job, days: int) -> tuple[str, str, dict[str, Any]]:
    report = health_report(job=job, days=days)
    filename = f"health_report_{timezone.now():%Y%m%d_%H%M%S}_{job.id.hex[:8]}.json"
    stored = _store("reports", filename, orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return stored, filename, report


def _row(job: Job) -> dict[str, Any]:
    return {
        "task_id": job.task_id,
        "job_type": job.job_type,
        "status": job.status,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "completed_at": job.completed_at.isoformat() if job.completed_at else None,
        "duration_seconds": job.duration_seconds,
        "retries": job.retries,
        "progress_current": job.progress_current,
        "progress_total": job.progress_total,
        "error": job.error,
    }


def write_export(*, job: Job, days: int, file_format: str) -> tuple[str, str, int]:
    rows = [_row(item) for item in _jobs_for(job, days).order_by("created_at")]
    stamp = f"{timezone.now():%Y%m%d_%H%M%S}_{job.id.hex[:8]}"
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in rows:
            # A leading = + - @ would be read as a formula by spreadsheets: neutralise it.
            writer.writerow({k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in row.items()})
        content = buffer.getvalue().encode()
        filename = f"export_{stamp}.csv"
    else:
        content = orjson.dumps({"days": days, "count": len(rows), "jobs": rows}, option=orjson.OPT_INDENT_2)
        filename = f"export_{stamp}.json"
    return _store("exports", filename, content), filename, len(rows)
