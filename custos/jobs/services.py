"""Writes on Job rows: creation (queued after commit), cancellation, and the transitions the worker makes.

``job_create`` and ``job_cancel`` are actions of a ``WriteContext`` (a user, or the platform for scheduled
work): each writes one audit row (``CREATE`` / ``CANCEL`` on ``Job``) in its transaction. The
worker's transitions (started, progress, finished) are the job's own bookkeeping; they publish a
private ``job_update`` event to the owner and the organization's admins (topic ``jobs``).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from custos.audit.services import audit_record
from custos.audit.writes import audited_create, audited_update
from custos.events import services as events
from custos.jobs.models import FINISHED, RUNNING, Job, JobStatus
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict
from custos.orgs.choices import Role
from custos.orgs.models import Membership

logger = logging.getLogger("custos.jobs")

JOBS_TOPIC = "jobs"
JOB_EVENT = "job_update"


def job_event_payload(job: Job) -> dict[str, Any]:
    return {
        "task_id": job.task_id,
        "job_type": job.job_type,
        "status": job.status,
        "progress": {
            "current": job.progress_current,
            "total": job.progress_total,
            "percent": job.percent,
            "message": job.progress_message,
        },
        "result": job.result if job.status == JobStatus.SUCCESS else None,
        "error": job.error or None,
    }


def _publish_job(job: Job) -> None:
    if job.owner_id is None and job.organization_id is None:
        return
    events.publish(
        organization_id=job.organization_id,
        topic=JOBS_TOPIC,
        event=JOB_EVENT,
        payload=job_event_payload(job),
        user_id=job.owner_id,
    )


AUDITED_PARAMETERS_MAX = 2048


def _audited(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the audit row keeps them: whole when small, else their size and digest."""
    import hashlib

    import orjson

    encoded = orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS, default=str)
    if len(encoded) <= AUDITED_PARAMETERS_MAX:
        return parameters
    return {"omitted": True, "size_bytes": len(encoded), "sha256": hashlib.sha256(encoded).hexdigest()}


def job_enqueue(*, job: Job) -> None:
    """Hand the job to Celery (called after commit). A broker failure fails the job visibly."""
    from config.celery import app  # the tasks are registered when the app is ready (``JobsConfig.ready``)

    try:
        app.tasks[job.task_name].apply_async(kwargs={"job_id": job.task_id}, task_id=job.task_id)
        Job.objects.filter(pk=job.pk, enqueued_at__isnull=True).update(enqueued_at=timezone.now())
    except Exception as exc:
        if app.conf.task_always_eager and app.conf.task_eager_propagates:
            raise
        logger.exception("could not queue job %s", job.id)
        job_finish(
            WriteContext.system(organization_id=job.organization_id),
            job_id=job.id,
            status=JobStatus.FAILURE,
            error=f"The job could not be queued: {exc}",
        )


UNQUEUED_GRACE_SECONDS = 60
REQUEUE_BATCH = 500


def jobs_requeue_unqueued(*, grace_seconds: int = UNQUEUED_GRACE_SECONDS) -> int:
    """Queue the PENDING jobs that were committed but never handed to the queue (a process that died
    between the commit and ``job_enqueue``); how many. Run every minute by the scheduler. A job is
    left alone for ``grace_seconds`` after its creation, since its own ``on_commit`` may still be
    queueing it."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    stranded = Job.objects.filter(
        status=JobStatus.PENDING, enqueued_at__isnull=True, cancel_requested=False, created_at__lt=cutoff
    ).order_by("created_at")[:REQUEUE_BATCH]
    count = 0
    for job in stranded:
        logger.warning("job %s was never queued: queueing it now", job.id)
        job_enqueue(job=job)
        count += 1
    return count


def job_create(
    ctx: WriteContext,
    *,
    organization_id: Any,
    job_type: str,
    task_name: str,
    parameters: dict[str, Any],
    subject_type: str = "",
    subject_id: Any = "",
) -> Job:
    """Record a job owned by ``ctx.user`` and queue its task once the transaction commits.

    Who may start work in ``organization_id`` is decided by the caller (``job_organization_for`` for
    the job routes, the domain service's own role check otherwise): the audit row names the actor.
    """
    with transaction.atomic():
        job = audited_create(
            ctx.within(organization_id),
            Job,
            values={
                "organization_id": organization_id,
                "owner": ctx.user,
                "job_type": job_type,
                "task_name": task_name,
                "parameters": parameters,
                "subject_type": subject_type,
                "subject_id": str(subject_id or ""),
            },
            audit_values={"job_type": job_type, "task_name": task_name, "parameters": _audited(parameters)},
            roles=None,
            event=False,  # the job's own event (``job_update`` on ``jobs``) follows
        )
        _publish_job(job)
        transaction.on_commit(lambda: job_enqueue(job=job))
    return job


def job_cancel(ctx: WriteContext, job: Job, *, force: bool = False) -> Job:
    """Cancel a job: a pending one never runs; a running one stops at its next progress check.

    ``force`` also asks the workers to terminate the task's process (where the broker supports it).
    Who may cancel (the owner) is checked by the route that found the job.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if job.status in FINISHED:
            raise Conflict(f"The job has already finished ({job.status}).", code="JOB_FINISHED")
        previous = job.status
        completed_at = timezone.now()
        values: dict[str, Any] = {
            "cancel_requested": True,
            "status": JobStatus.CANCELLED,
            "completed_at": completed_at,
        }
        if job.started_at:
            values["duration_seconds"] = (completed_at - job.started_at).total_seconds()
        audited_update(
            ctx,
            job,
            values=values,
            action="CANCEL",
            roles=None,
            event=False,
            extra_changes={"force": force},
        )
        _publish_job(job)
        transaction.on_commit(lambda: _revoke(job.task_id, terminate=force and previous in RUNNING))
    return job


def _revoke(task_id: str, *, terminate: bool) -> None:
    """Best effort: the Job row's flag is what stops the task; revoke spares a worker the start-up."""
    from django.conf import settings

    from config.celery import app

    if settings.EMBEDDED_QUEUE or app.conf.task_always_eager:
        return  # the SQLite transport has no broadcast (control) channel
    try:
        app.control.revoke(task_id, terminate=terminate)
    except Exception:
        logger.warning("could not broadcast the revocation of %s", task_id, exc_info=True)


# --- transitions made by the worker (custos.jobs.tasks.JobTask) ---------------------------------
# The job's own bookkeeping, written by the platform (``WriteContext.system()``): not audited (the
# user's CREATE and CANCEL are), published to the owner as ``job_update``.


def job_start(ctx: WriteContext, *, job_id: Any, worker: str, celery_retries: int = 0) -> Job | None:
    """Mark a job started; ``None`` when it must not run (unknown, finished or cancelled).

    A job found already running was started by a worker that died before finishing: this run is a
    retry and counts as one.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED:
            return None
        if job.cancel_requested:
            return None
        if job.status in (JobStatus.STARTED, JobStatus.PROGRESS):
            job.retries += 1  # a worker died with it; a planned RETRY was counted when it was scheduled
        job.retries = max(job.retries, celery_retries)
        job.status = JobStatus.STARTED
        job.worker = worker[:255]
        job.started_at = job.started_at or timezone.now()
        job.progress_current = 0
        job.save(update_fields=["retries", "status", "worker", "started_at", "progress_current", "updated_at"])
        _publish_job(job)
    return job


def job_progress(ctx: WriteContext, *, job: Job, current: int, total: int, message: str = "") -> bool:
    """Record progress; returns whether the job has been cancelled meanwhile (the task must stop)."""
    with transaction.atomic():
        cancelled = Job.objects.filter(pk=job.pk).values_list("cancel_requested", flat=True).first()
        if cancelled is None or cancelled:
            return True
        job.status = JobStatus.PROGRESS
        job.progress_current, job.progress_total, job.progress_message = current, total, message[:255]
        Job.objects.filter(pk=job.pk, cancel_requested=False).update(
            status=job.status,
            progress_current=current,
            progress_total=total,
            progress_message=job.progress_message,
            updated_at=timezone.now(),
        )
        _publish_job(job)
    return False


def job_retrying(ctx: WriteContext, *, job: Job, error: str) -> None:
    with transaction.atomic():
        Job.objects.filter(pk=job.pk, cancel_requested=False).update(
            status=JobStatus.RETRY, error=error, retries=F("retries") + 1, updated_at=timezone.now()
        )
        job.refresh_from_db()
        _publish_job(job)


def job_finish(
    ctx: WriteContext,
    *,
    job_id: Any,
    status: str,
    result: Any = None,
    error: str = "",
    result_file: str = "",
    result_filename: str = "",
) -> Job | None:
    """Record the outcome (SUCCESS, FAILURE, CANCELLED, REVOKED) unless the job was cancelled meanwhile."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        if job.cancel_requested and status != JobStatus.CANCELLED:
            return job  # cancelled while the last step ran: the cancellation stands
        job.status = status
        job.result = result
        job.error = error
        job.result_file, job.result_filename = result_file, result_filename
        job.completed_at = timezone.now()
        if job.started_at:
            job.duration_seconds = (job.completed_at - job.started_at).total_seconds()
        if status == JobStatus.SUCCESS and job.progress_total:
            job.progress_current = job.progress_total
        job.save()
        _publish_job(job)
    return job


def job_organization_for(*, user: Any, organization_ids: list[Any]) -> Any:
    """The organization a new job of ``user`` belongs to (``None``: a personal job of a user without one).

    Viewers are read-only members: they may not start work in an organization.
    """
    from custos.kernel.errors import PermissionDenied, ValidationFailed

    if not organization_ids:
        return None
    if len(organization_ids) > 1:
        raise ValidationFailed(
            "You belong to several organizations: name one in the X-Organization header.",
            code="ORGANIZATION_REQUIRED",
        )
    organization_id = organization_ids[0]
    role = Membership.objects.filter(user=user, organization_id=organization_id).values_list("role", flat=True).first()
    if role == Role.VIEWER:
        raise PermissionDenied("Viewers cannot start jobs.")
    return organization_id


def schedule_upsert(
    ctx: WriteContext,
    *,
    name: str,
    task_name: str,
    every_seconds: int | None = None,
    crontab: dict[str, str] | None = None,
    kwargs: dict[str, Any] | None = None,
    enabled: bool = True,
    organization_id: Any = None,
) -> Any:
    """Create or change a periodic task at run time (django-celery-beat's DatabaseScheduler picks it up).

    Audited as ``CREATE`` / ``UPDATE`` of ``PeriodicTask`` (a third-party model: recorded, not written
    through ``audited_create``, because the row may already exist under its name)."""
    import json

    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    from custos.kernel.errors import ValidationFailed

    if (every_seconds is None) == (crontab is None):
        raise ValidationFailed("Give either every_seconds or crontab.", code="SCHEDULE_REQUIRED")
    with transaction.atomic():
        schedule_fields: dict[str, Any] = {"interval": None, "crontab": None}
        if every_seconds is not None:
            if every_seconds < 1:
                raise ValidationFailed(
                    "every_seconds must be at least 1.", field_errors={"every_seconds": ["Too small."]}
                )
            schedule_fields["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=every_seconds, period=IntervalSchedule.SECONDS
            )
        else:
            allowed = {"minute", "hour", "day_of_week", "day_of_month", "month_of_year"}
            if not crontab or set(crontab) - allowed:
                raise ValidationFailed(f"crontab keys are {sorted(allowed)}.", field_errors={"crontab": ["Invalid."]})
            schedule_fields["crontab"], _ = CrontabSchedule.objects.get_or_create(**crontab, timezone="UTC")
        task, created = PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task_name, "kwargs": json.dumps(kwargs or {}), "enabled": enabled, **schedule_fields},
        )
        audit_record(
            ctx,
            action="CREATE" if created else "UPDATE",
            resource_type="PeriodicTask",
            resource_id=task.pk,
            resource_name=name,
            changes={"task": task_name, "every_seconds": every_seconds, "crontab": crontab, "enabled": enabled},
            organization_id=organization_id,
        )
    return task
