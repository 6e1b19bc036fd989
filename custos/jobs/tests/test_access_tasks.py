"""access ``/tasks/``: submit, watch, results and errors, visibility, audit."""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.jobs import tasks
from custos.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def test_add_5_plus_3_succeeds_with_8(submit, client_for, alice, org_a):
    response = submit(alice, {"type": "add", "x": 5, "y": 3})
    assert response.status_code == 202, response.content
    body = response.json()
    job = Job.objects.get()
    assert body == {"task_id": str(job.id), "task_type": "add", "parameters": {"x": 5, "y": 3}, "status": "PENDING"}
    assert (job.organization_id, job.owner_id, job.task_name) == (org_a.id, alice.id, "custos.jobs.add")
    detail = client_for(alice).get(f"/tasks/{job.id}/")
    assert detail.status_code == 200
    assert detail.json() == {"task_id": str(job.id), "task_type": "add", "status": "SUCCESS", "result": 8}
    job.refresh_from_db()
    assert (job.status, job.result, job.error, job.retries) == (JobStatus.SUCCESS, 8, "", 0)
    assert job.started_at is not None and job.completed_at >= job.started_at
    audit = AuditLog.objects.get(action="CREATE", resource_type="Job")
    assert (audit.resource_id, audit.actor_id, audit.organization_id) == (str(job.id), str(alice.id), org_a.id)
    assert audit.changes["parameters"] == {"x": 5, "y": 3}
    # the slash-less form answers too
    assert client_for(alice).get(f"/tasks/{job.id}").json()["result"] == 8


def test_floats_and_process(submit, client_for, amir):
    assert submit(amir, {"type": "add", "x": 0.5, "y": 0.25}).status_code == 202
    response = submit(amir, {"type": "process", "data": {"values": [1, 2, 3, 4], "name": "x", "ok": True}})
    job = Job.objects.get(job_type="process")
    result = client_for(amir).get(f"/tasks/{job.id}/").json()["result"]
    assert response.json()["parameters"] == {"data": {"values": [1, 2, 3, 4], "name": "x", "ok": True}}
    assert result["items"] == 3
    assert result["numbers"] == {
        "count": 4,
        "sum": 10,
        "mean": 2.5,
        "median": 2.5,
        "min": 1,
        "max": 4,
        "std": 1.118033988749895,
    }
    assert result["keys"] == {"name": 1, "ok": 1, "values": 1}
    assert result["value_types"] == {"bool": 1, "dict": 1, "int": 4, "list": 1, "str": 1}
    assert Job.objects.get(job_type="add").result == 0.75


def test_progress_is_visible_mid_task_and_cancel_stops_it(submit, client_for, alice, monkeypatch):
    seen = []

    def clock(_seconds):
        job = Job.objects.get()
        seen.append(client_for(alice).get(f"/tasks/{job.id}/").json())
        if len(seen) == 3:
            cancel = client_for(alice).post(f"/api/analysis-jobs/{job.id}/cancel/", {}, format="json")
            assert cancel.status_code == 200, cancel.content
            assert cancel.json() == {"message": "Job cancelled successfully", "status": "CANCELLED"}

    monkeypatch.setattr(tasks, "_sleep", clock)
    submit(alice, {"type": "long", "duration": 10})
    job = Job.objects.get()
    assert seen[0]["status"] == "PROGRESS"
    assert seen[0]["progress"] == {"current": 0, "total": 10, "percent": 0, "message": "Step 1 of 10"}
    assert seen[1]["progress"] == {"current": 1, "total": 10, "percent": 10, "message": "Step 2 of 10"}
    assert len(seen) == 3, "the task stopped at its first progress check after the cancel"
    assert (job.status, job.progress_current, job.cancel_requested) == (JobStatus.CANCELLED, 2, True)
    assert client_for(alice).get(f"/tasks/{job.id}/").json()["status"] == "CANCELLED"
    assert AuditLog.objects.filter(action="CANCEL", resource_type="Job", resource_id=str(job.id)).count() == 1


def test_long_task_runs_to_the_end(submit, alice, monkeypatch):
    monkeypatch.setattr(tasks, "_sleep", lambda _s: None)
    submit(alice, {"type": "long", "duration": 3})
    job = Job.objects.get()
    assert (job.status, job.result, job.progress_current, job.progress_total) == (
        JobStatus.SUCCESS,
        {"duration": 3, "steps": 3},
        3,
        3,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "add", "x": 5}, "y"),
        ({"type": "add", "x": "5", "y": 3}, "x"),
        ({"type": "add", "x": True, "y": 3}, "x"),
        ({"type": "multiply", "x": 1, "y": 2}, "type"),
        ({"type": "long", "duration": 0}, "duration"),
        ({"type": "long", "duration": 10_000}, "duration"),
        ({"type": "process"}, "data"),
        ({}, "type"),
    ],
)
def test_bad_input_is_rejected_and_nothing_is_created(submit, alice, body, field):
    response = submit(alice, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error"] and field in payload["details"]
    assert not Job.objects.exists()
    assert not AuditLog.objects.filter(action="CREATE", resource_type="Job").exists()


def test_visibility_owner_and_org_admins_only(submit, client_for, amir, adam, vera, bob, alice):
    submit(amir, {"type": "add", "x": 1, "y": 2})
    job = Job.objects.get()
    assert client_for(amir).get(f"/tasks/{job.id}/").status_code == 200
    assert client_for(adam).get(f"/tasks/{job.id}/").status_code == 200  # admin of the organization
    assert client_for(alice).get(f"/tasks/{job.id}/").status_code == 200  # owner of the organization
    for other in (vera, bob):  # another member (no admin) and another tenant
        response = client_for(other).get(f"/tasks/{job.id}/")
        assert response.status_code == 404
        assert response.json()["error"]
    cancel = client_for(bob).post(f"/api/analysis-jobs/{job.id}/cancel/", {}, format="json")
    assert cancel.status_code == 404
    assert not AuditLog.objects.filter(action="CANCEL", resource_type="Job").exists()


def test_unknown_or_malformed_ids_and_anonymous(client_for, alice, api_client):
    assert client_for(alice).get("/tasks/not-a-uuid/").status_code == 404
    assert client_for(alice).get("/tasks/00000000-0000-4000-8000-000000000001/").status_code == 404
    assert api_client.post("/tasks/", {"type": "add", "x": 1, "y": 1}, format="json").status_code == 401
    assert not Job.objects.exists()


def test_viewers_cannot_start_jobs(submit, vera):
    response = submit(vera, {"type": "add", "x": 1, "y": 1})
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_a_task_that_raises_is_failure_with_the_error(submit, client_for, alice, monkeypatch):
    def boom(self, *, job_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks.process, "run", boom.__get__(tasks.process))
    submit(alice, {"type": "process", "data": [1]})
    job = Job.objects.get()
    body = client_for(alice).get(f"/tasks/{job.id}/").json()
    assert body == {
        "task_id": str(job.id),
        "task_type": "process",
        "status": "FAILURE",
        "error": "RuntimeError: disk on fire",
    }
    job.refresh_from_db()
    assert (job.status, job.error, job.result) == (JobStatus.FAILURE, "RuntimeError: disk on fire", None)


def test_large_data_is_audited_by_size_and_digest(submit, amir):
    data = list(range(2000))
    assert submit(amir, {"type": "process", "data": data}).status_code == 202
    changes = AuditLog.objects.get(action="CREATE", resource_type="Job").changes
    assert changes["parameters"]["omitted"] is True
    assert changes["parameters"]["size_bytes"] > 2048 and len(changes["parameters"]["sha256"]) == 64
    assert Job.objects.get().result["numbers"]["count"] == 2000
