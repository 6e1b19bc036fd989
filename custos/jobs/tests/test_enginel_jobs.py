"""enginel ``/api/analysis-jobs/``: list, detail, status, progress, cancel, active, metrics, failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def make_job(owner, organization, status=JobStatus.SUCCESS, *, job_type="processing", duration=None, **extra):
    now = timezone.now()
    fields = {"started_at": None, "completed_at": None}
    if status != JobStatus.PENDING:
        fields["started_at"] = now - timedelta(seconds=(duration or 1) + 5)
    if duration is not None:
        fields["completed_at"] = fields["started_at"] + timedelta(seconds=duration)
        fields["duration_seconds"] = float(duration)
    fields.update(extra)
    return Job.objects.create(
        owner=owner,
        organization=organization,
        job_type=job_type,
        task_name=f"custos.jobs.{job_type}",
        status=status,
        **fields,
    )


def test_list_is_paginated_and_scoped(client_for, amir, adam, bob, org_a, org_b):
    mine = make_job(
        amir,
        org_a,
        duration=4,
        result={"bom_items": 3},
        subject_type="design_asset",
        subject_id="1b8d0a4e-9d3c-4e55-9d7a-9b6f0d5a0c11",
    )
    make_job(bob, org_b)
    response = client_for(amir).get("/api/analysis-jobs/")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    assert row == {
        "id": str(mine.id),
        "design_asset": "1b8d0a4e-9d3c-4e55-9d7a-9b6f0d5a0c11",
        "job_type": "PROCESSING",
        "status": "SUCCESS",
        "celery_task_id": str(mine.id),
        "created_at": row["created_at"],
        "started_at": row["started_at"],
        "completed_at": row["completed_at"],
        "duration_seconds": 4.0,
        "result": {"bom_items": 3},
        "error_message": None,
        "retry_count": 0,
        "progress": {"current": 0, "total": 0, "percent": 100, "message": ""},
    }
    assert client_for(adam).get("/api/analysis-jobs/").json()["count"] == 1  # the organization's admin
    assert client_for(bob).get("/api/analysis-jobs/").json()["count"] == 1  # only bob's own
    fields = client_for(amir).get("/api/analysis-jobs/?fields=id,status").json()["results"][0]
    assert fields == {"id": str(mine.id), "status": "SUCCESS"}


def test_filters(client_for, alice, org_a):
    make_job(alice, org_a, JobStatus.PROGRESS, job_type="validation")
    make_job(alice, org_a, JobStatus.FAILURE, job_type="processing", duration=2, error="bad")
    ok = make_job(alice, org_a, JobStatus.SUCCESS, job_type="processing", duration=1)
    client = client_for(alice)
    assert client.get("/api/analysis-jobs/?status=PROCESSING").json()["count"] == 1
    assert client.get("/api/analysis-jobs/?job_type=processing").json()["count"] == 2
    results = client.get("/api/analysis-jobs/?status=SUCCESS&job_type=PROCESSING").json()["results"]
    assert [row["id"] for row in results] == [str(ok.id)]
    bad = client.get("/api/analysis-jobs/?status=EXPLODED")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"error", "detail", "code", "field_errors"}
    assert client.get("/api/analysis-jobs/?started_at__gte=yesterday").status_code == 400


def test_detail_status_progress(client_for, amir, org_a, bob):
    job = make_job(
        amir,
        org_a,
        JobStatus.PROGRESS,
        progress_current=3,
        progress_total=5,
        progress_message="Running validation checks...",
        worker="celery@w1",
        retries=1,
    )
    client = client_for(amir)
    assert client.get(f"/api/analysis-jobs/{job.id}/").json()["status"] == "PROCESSING"
    assert client.get(f"/api/analysis-jobs/{job.id}/progress/").json() == {
        "current": 3,
        "total": 5,
        "percent": 60,
        "status_message": "Running validation checks...",
    }
    assert client.get(f"/api/analysis-jobs/{job.id}/status/").json() == {
        "status": "PROCESSING",
        "state": "PROGRESS",
        "result": None,
        "error": None,
        "celery_info": {
            "task_id": str(job.id),
            "name": "custos.jobs.processing",
            "args": [],
            "kwargs": {"job_id": str(job.id)},
            "worker": "celery@w1",
            "retries": 1,
        },
    }
    for path in ("", "status/", "progress/"):
        response = client_for(bob).get(f"/api/analysis-jobs/{job.id}/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == "RESOURCE_NOT_FOUND"
    assert client.get("/api/analysis-jobs/12345/").status_code == 404


def test_cancel(client_for, amir, adam, vera, org_a):
    pending = make_job(amir, org_a, JobStatus.PENDING)
    done = make_job(amir, org_a, JobStatus.SUCCESS, duration=1)
    assert client_for(vera).post(f"/api/analysis-jobs/{pending.id}/cancel/", {}, format="json").status_code == 404
    bad = client_for(adam).post(f"/api/analysis-jobs/{pending.id}/cancel/", {"force": "perhaps"}, format="json")
    assert bad.status_code == 400
    pending.refresh_from_db()
    assert pending.status == JobStatus.PENDING and not AuditLog.objects.exists()
    response = client_for(adam).post(f"/api/analysis-jobs/{pending.id}/cancel", {"force": False}, format="json")
    assert (response.status_code, response.json()) == (
        200,
        {"message": "Job cancelled successfully", "status": "CANCELLED"},
    )
    pending.refresh_from_db()
    assert (pending.status, pending.cancel_requested) == (JobStatus.CANCELLED, True)
    audit = AuditLog.objects.get()
    assert (audit.action, audit.resource_type, audit.actor_id) == ("CANCEL", "Job", str(adam.id))
    assert sorted(audit.changes) == ["cancel_requested", "completed_at", "force", "status"]
    assert (audit.changes["status"], audit.changes["cancel_requested"], audit.changes["force"]) == (
        {"old": "PENDING", "new": "CANCELLED"},
        {"old": False, "new": True},
        False,
    )
    again = client_for(amir).post(f"/api/analysis-jobs/{done.id}/cancel/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "JOB_FINISHED"
    assert AuditLog.objects.count() == 1


def test_active_metrics_failures(client_for, alice, org_a, bob, org_b):
    running = make_job(alice, org_a, JobStatus.STARTED, worker="celery@w1")
    make_job(alice, org_a, JobStatus.PENDING)
    for seconds in (2, 4, 9):
        make_job(alice, org_a, JobStatus.SUCCESS, duration=seconds)
    make_job(alice, org_a, JobStatus.FAILURE, duration=1, error="Invalid STEP file format")
    make_job(alice, org_a, JobStatus.FAILURE, duration=1, error="Invalid STEP file format")
    make_job(alice, org_a, JobStatus.FAILURE, duration=1, error="Timeout")
    old = make_job(alice, org_a, JobStatus.FAILURE, duration=1, error="Old")
    Job.objects.filter(pk=old.pk).update(completed_at=timezone.now() - timedelta(days=30))
    make_job(bob, org_b, JobStatus.FAILURE, duration=1, error="Helios only")
    make_job(alice, org_a, JobStatus.SUCCESS, job_type="export", duration=100)
    client = client_for(alice)

    active = client.get("/api/analysis-jobs/active/").json()
    assert active["count"] == 1
    task = active["tasks"][0]
    assert (task["task_id"], task["worker"], task["job_type"]) == (str(running.id), "celery@w1", "PROCESSING")
    assert task["time_start"] == running.started_at.timestamp()

    metrics = client.get("/api/analysis-jobs/metrics/?job_type=PROCESSING").json()
    assert metrics == {
        "job_type": "PROCESSING",
        "total_count": 9,
        "success_count": 3,
        "failure_count": 4,
        "success_rate": 42.86,
        "avg_duration_seconds": 5.0,
        "min_duration_seconds": 2.0,
        "max_duration_seconds": 9.0,
    }
    assert client.get("/api/analysis-jobs/metrics/").json()["total_count"] == 10

    failures = client.get("/api/analysis-jobs/failures/?days=7").json()
    assert failures["total_failures"] == 3
    assert failures["top_errors"] == [
        {"error": "Invalid STEP file format", "count": 2},
        {"error": "Timeout", "count": 1},
    ]
    assert len(failures["failures"]) == 3 and failures["days"] == 7
    assert client.get("/api/analysis-jobs/failures/?days=60").json()["total_failures"] == 4
    for bad in ("0", "abc", "1000"):
        response = client.get(f"/api/analysis-jobs/failures/?days={bad}")
        assert response.status_code == 400
        assert response.json()["field_errors"] == {"days": response.json()["field_errors"]["days"]}
    assert client_for(bob).get("/api/analysis-jobs/failures/").json()["top_errors"] == [
        {"error": "Helios only", "count": 1}
    ]
    assert client_for(bob).get("/api/analysis-jobs/active/").json() == {
        "count": 0,
        "live_workers": active["live_workers"],
        "tasks": [],
    }
