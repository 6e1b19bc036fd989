"""Files produced by the twin's ``start_report`` and ``export_data`` jobs, on the report machinery
(``custos.reports``: the report kinds registered by the domain modules, the generators, the storage).

* The health report (JSON) is the ``twin_health`` report kind over the requested ``days``: per device its
  health score and status, health history, latest readings and reading statistics, alarms; plus what
  the platform measures itself when the report runs: the dependency checks (database, cache, queue) and
  the organization's job activity over the period (counts by status and type, success rate, durations,
  top errors).
* The export is the ``twin_readings`` report kind: every reading of the organization's devices over the
  last ``days`` days, as CSV (``timestamp,device_id,metric,value,unit``) or JSON, streamed to the file.

Files go to the default storage under ``reports/`` and ``exports/``; only the job's owner can fetch them
(``/reports/<name>``, ``/exports/<name>``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Q
from django.utils import timezone

from custos.jobs.models import Job, JobStatus
from custos.jobs.selectors import job_visible
from custos.reports.generators import ReportHeader
from custos.reports.registry import ReportRequest, get_report_kind
from custos.reports.services import StoredFile, organization_header, report_content_build, report_file_write

TWIN_HEALTH = "twin_health"
TWIN_READINGS = "twin_readings"


def _jobs_for(job: Job, days: int) -> Any:
    since = timezone.now() - timedelta(days=days)
    return job_visible(user=job.owner).filter(created_at__gte=since).exclude(pk=job.pk)


def job_activity(*, job: Job, days: int) -> dict[str, Any]:
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
    return {
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
    }


def _request(job: Job, kind_name: str, days: int) -> tuple[Any, ReportRequest]:
    kind = get_report_kind(kind_name)
    end = timezone.now()
    request = ReportRequest(
        organization_id=job.organization_id,
        start=end - timedelta(days=days),
        end=end,
        filters={},
        sections=kind.sections,
    )
    return kind, request


def _header(kind: Any, request: ReportRequest, title: str) -> ReportHeader:
    return ReportHeader(
        report_type=kind.name,
        title=title,
        generated_at=request.end,
        start=request.start,
        end=request.end,
        organization=organization_header(request.organization_id),
    )


def write_health_report(*, job: Job, days: int) -> tuple[StoredFile, str]:
    """The health report file; returns it and the overall status (healthy / degraded)."""
    from custos.ops.checks import check_cache, check_database, check_queue

    kind, request = _request(job, TWIN_HEALTH, days)
    content = report_content_build(kind=kind, request=request)
    checks = {"database": check_database(), "cache": check_cache(), "queue": check_queue()}
    status = "healthy" if all(result.ok for result in checks.values()) else "degraded"
    content.data.update(
        {
            "checks": {
                name: {"ok": r.ok, "detail": r.detail, "latency_ms": r.latency_ms} for name, r in checks.items()
            },
            "jobs": job_activity(job=job, days=days),
            "status": status,
        }
    )
    content.summary["platform_status"] = status
    filename = f"health_report_{request.end:%Y%m%d_%H%M%S}_{job.id.hex[:8]}.json"
    stored = report_file_write(
        content=content,
        header=_header(kind, request, content.title),
        file_format="json",
        folder="reports",
        filename=filename,
    )
    return stored, status


def write_export(*, job: Job, days: int, file_format: str) -> StoredFile:
    """The readings of the job's organization over the last ``days`` days (CSV or JSON), streamed."""
    kind, request = _request(job, TWIN_READINGS, days)
    content = report_content_build(kind=kind, request=request)
    filename = f"export_{request.end:%Y%m%d_%H%M%S}_{job.id.hex[:8]}.{file_format}"
    return report_file_write(
        content=content,
        header=_header(kind, request, content.title),
        file_format=file_format,
        folder="exports",
        filename=filename,
    )
