"""The Job record: one row per user-visible background task, kept in step with Celery by ``JobTask``.

The Celery task id *is* the job id (``str(job.id)``), so the result backend row, the broker message and
the Job row share one identifier.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from custos.kernel.models import OrgOwnedModel


class JobStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    STARTED = "STARTED", "Started"
    PROGRESS = "PROGRESS", "In progress"
    SUCCESS = "SUCCESS", "Succeeded"
    FAILURE = "FAILURE", "Failed"
    RETRY = "RETRY", "Retrying"
    REVOKED = "REVOKED", "Revoked"
    CANCELLED = "CANCELLED", "Cancelled"


FINISHED = frozenset({JobStatus.SUCCESS, JobStatus.FAILURE, JobStatus.REVOKED, JobStatus.CANCELLED})
RUNNING = frozenset({JobStatus.STARTED, JobStatus.PROGRESS, JobStatus.RETRY})


class Job(OrgOwnedModel):
    # Personal jobs of users without an organization have none; they are visible to their owner only.
    # (Django allows a concrete model to redefine an inherited abstract field; here it becomes nullable.)
    organization = models.ForeignKey(  # type: ignore[assignment]
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    job_type = models.CharField(max_length=64)
    task_name = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict, blank=True)
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress_current = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=255, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # When the task was handed to the queue. A PENDING job without it was committed but never queued (the
    # process died in between): ``jobs_requeue_unqueued`` queues it.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    # A file produced by the job (report, export), relative to MEDIA_ROOT; downloadable by the owner only.
    result_file = models.CharField(max_length=255, blank=True)
    result_filename = models.CharField(max_length=255, blank=True)

    class Meta(OrgOwnedModel.Meta):
        indexes = [
            models.Index(fields=("organization", "status"), name="job_org_status"),
            models.Index(fields=("owner", "created_at"), name="job_owner_created"),
            models.Index(fields=("status", "completed_at"), name="job_status_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.id} ({self.status})"

    @property
    def task_id(self) -> str:
        return str(self.id)

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == JobStatus.SUCCESS else 0
        return min(100, round(100 * self.progress_current / self.progress_total))
