"""Reads over Job rows: visibility (owner and their organization's admins), aggregates, live state."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.utils import timezone

from custos.jobs.models import RUNNING, Job, JobStatus
from custos.kernel.errors import NotFound
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.models import Membership

logger = logging.getLogger("custos.jobs")


def job_visible(*, user: Any) -> QuerySet[Job]:
    """Jobs ``user`` may see: their own, and every job of an organization they administer."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    administered = Membership.objects.filter(user=user, role__in=ADMIN_ROLES, organization__is_active=True).values(
        "organization_id"
    )
    return Job.objects.filter(Q(owner=user) | Q(organization_id__in=administered))


def job_get(*, user: Any, job_id: Any) -> Job:
    """One visible job; anything else (malformed id, another tenant's or another member's job) is 404."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFound("Task not found.") from None
    job = job_visible(user=user).filter(pk=key).first()
    if job is None:
        raise NotFound("Task not found.")
    return job


def job_is_owner(*, user: Any, job: Job) -> bool:
    return job.owner_id is not None and job.owner_id == getattr(user, "pk", None)


def job_metrics(*, user: Any, job_type: str | None = None) -> dict[str, Any]:
    jobs = job_visible(user=user)
    if job_type:
        jobs = jobs.filter(job_type__iexact=job_type)
    counts = jobs.aggregate(
        total=Count("id"),
        success=Count("id", filter=Q(status=JobStatus.SUCCESS)),
        failure=Count("id", filter=Q(status=JobStatus.FAILURE)),
    )
    durations = jobs.filter(status=JobStatus.SUCCESS, duration_seconds__isnull=False).aggregate(
        avg=Avg("duration_seconds"), min=Min("duration_seconds"), max=Max("duration_seconds")
    )
    finished = counts["success"] + counts["failure"]
    return {
        "job_type": job_type.upper() if job_type else None,
        "total_count": counts["total"],
        "success_count": counts["success"],
        "failure_count": counts["failure"],
        "success_rate": round(100 * counts["success"] / finished, 2) if finished else None,
        "avg_duration_seconds": round(durations["avg"], 3) if durations["avg"] is not None else None,
        "min_duration_seconds": round(durations["min"], 3) if durations["min"] is not None else None,
        "max_duration_seconds": round(durations["max"], 3) if durations["max"] is not None else None,
    }


def job_failures(*, user: Any, days: int, limit: int = 50) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=days)
    failed = job_visible(user=user).filter(status=JobStatus.FAILURE, completed_at__gte=since)
    top = failed.values("error").annotate(count=Count("id")).order_by("-count", "error")[:10]
    return {
        "days": days,
        "total_failures": failed.count(),
        "top_errors": [{"error": row["error"], "count": row["count"]} for row in top],
        "failures": list(failed.order_by("-completed_at")[:limit]),
    }


def job_running(*, user: Any) -> QuerySet[Job]:
    return job_visible(user=user).filter(status__in=RUNNING).order_by("started_at")


def worker_active_task_ids(*, timeout: float = 0.5) -> set[str] | None:
    """Ids of the tasks the live workers are executing (Celery inspect), or ``None`` where that is not
    cheaply available: the embedded queue has no broadcast channel, and eager mode has no workers."""
    from django.conf import settings

    from config.celery import app

    if settings.EMBEDDED_QUEUE or app.conf.task_always_eager or app.conf.broker_url.startswith("memory"):
        return None
    try:
        replies = app.control.inspect(timeout=timeout).active() or {}
    except Exception:  # broker unreachable: no live view, the Job rows still answer
        logger.warning("celery inspect failed", exc_info=True)
        return None
    return {task["id"] for tasks in replies.values() for task in tasks}
