"""JobTask bookkeeping: redelivery after a dead worker, planned retries, duplicates, revocation."""

from __future__ import annotations

import pytest
from celery import shared_task
from celery.signals import task_revoked

from custos.jobs.models import Job, JobStatus
from custos.jobs.services import job_create
from custos.jobs.tasks import JobTask
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db

ATTEMPTS: list[int] = []


@shared_task(bind=True, base=JobTask, name="custos.jobs.tests.flaky", max_retries=3, default_retry_delay=0)
def flaky(self, *, job_id):
    ATTEMPTS.append(self.request.retries)
    if self.request.retries == 0:
        raise self.retry(exc=ConnectionError("upstream not ready"), countdown=0)
    return "ok"


def _job(user, org, task_name="custos.jobs.add", **params):
    return Job.objects.create(
        owner=user, organization=org, job_type="add", task_name=task_name, parameters=params or {"x": 5, "y": 3}
    )


def test_a_job_left_running_by_a_dead_worker_runs_again_and_counts_a_retry(eager_jobs, alice, org_a):
    from custos.jobs.tasks import add

    job = _job(alice, org_a)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.PROGRESS, worker="celery@dead")
    add.apply_async(kwargs={"job_id": job.task_id}, task_id=job.task_id)  # the broker's redelivery
    job.refresh_from_db()
    assert (job.status, job.result, job.retries) == (JobStatus.SUCCESS, 8, 1)
    assert job.worker != "celery@dead"


def test_a_redelivered_finished_or_cancelled_job_does_nothing(eager_jobs, alice, org_a):
    from custos.jobs.tasks import add

    done = _job(alice, org_a)
    Job.objects.filter(pk=done.pk).update(status=JobStatus.SUCCESS, result=8)
    cancelled = _job(alice, org_a)
    Job.objects.filter(pk=cancelled.pk).update(status=JobStatus.CANCELLED, cancel_requested=True)
    for job in (done, cancelled):
        add.apply_async(kwargs={"job_id": job.task_id}, task_id=job.task_id)
    done.refresh_from_db()
    cancelled.refresh_from_db()
    assert (done.status, done.result, done.retries) == (JobStatus.SUCCESS, 8, 0)
    assert (cancelled.status, cancelled.result, cancelled.started_at) == (JobStatus.CANCELLED, None, None)


def test_a_planned_retry_is_counted_once(eager_jobs, alice, org_a, django_capture_on_commit_callbacks):
    ATTEMPTS.clear()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(
            WriteContext.for_user(alice),
            organization_id=org_a.id,
            job_type="flaky",
            task_name="custos.jobs.tests.flaky",
            parameters={},
        )
    job.refresh_from_db()
    assert ATTEMPTS == [0, 1]
    assert (job.status, job.result, job.retries) == (JobStatus.SUCCESS, "ok", 1)
    assert job.error == "", "the retry's error is cleared by the success"


def test_revocation_in_celery_marks_the_job_revoked(alice, org_a):
    job = _job(alice, org_a)

    class Request:
        id = job.task_id

    task_revoked.send(sender=None, request=Request(), terminated=False, signum=None, expired=True)
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.REVOKED, "The task was expired in Celery.")


def test_a_job_committed_but_never_queued_is_queued_by_the_sweep_and_runs(eager_jobs, alice, org_a):
    from datetime import timedelta

    from django.utils import timezone

    from custos.jobs.services import jobs_requeue_unqueued

    old = timezone.now() - timedelta(seconds=120)
    stranded = _job(alice, org_a)  # a process died between the commit and job_enqueue: never queued
    queued = _job(alice, org_a)  # handed to the queue, still waiting for a worker: must not be sent twice
    fresh = _job(alice, org_a)  # its own on_commit may still be queueing it
    Job.objects.filter(pk__in=[stranded.pk, queued.pk]).update(created_at=old)
    Job.objects.filter(pk=queued.pk).update(enqueued_at=old)

    assert jobs_requeue_unqueued() == 1
    for job in (stranded, queued, fresh):
        job.refresh_from_db()
    assert (stranded.status, stranded.result) == (JobStatus.SUCCESS, 8)
    assert stranded.enqueued_at is not None
    assert (queued.status, fresh.status, fresh.enqueued_at) == (JobStatus.PENDING, JobStatus.PENDING, None)
    assert jobs_requeue_unqueued() == 0  # the stranded job is queued now: never again


def test_job_enqueue_records_when_the_job_reached_the_queue(
    eager_jobs, alice, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(
            WriteContext.for_user(alice, organization_id=org_a.id),
            organization_id=org_a.id,
            job_type="add",
            task_name="custos.jobs.add",
            parameters={"x": 1, "y": 2},
        )
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.SUCCESS, 3)
    assert job.enqueued_at is not None and job.enqueued_at >= job.created_at
