"""twin: report and export jobs, their status, and owner-only downloads."""

from __future__ import annotations

import csv
import io
import json

import pytest

from custos.audit.models import AuditLog
from custos.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(client_for, django_capture_on_commit_callbacks, eager_jobs, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def call(user, method, url, body=None):
        with django_capture_on_commit_callbacks(execute=True):
            client = client_for(user)
            return client.post(url, body or {}, format="json") if method == "post" else client.get(url)

    return call


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_health_report_job_produces_an_owner_only_file(run, client_for, alice, adam, amir, bob, org_a, submit):
    submit(amir, {"type": "add", "x": 1, "y": 2})
    response = run(alice, "post", "/api/tasks/start_report", {"days": 3})
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    assert response.json() == {"task_id": task_id, "status": "PENDING"}
    status = client_for(alice).get(f"/api/tasks/status/{task_id}").json()
    assert status["status"] == "SUCCESS"
    result = status["result"]
    assert result["status"] == "SUCCESS" and result["report_path"] == f"/reports/{result['filename']}"
    assert result["filename"].startswith("health_report_") and result["filename"].endswith(".json")

    download = client_for(alice).get(result["report_path"])
    assert download.status_code == 200
    report = json.loads(_body(download))
    assert report["organization"] == {"id": str(org_a.id), "name": "Northwind Energy"}
    assert report["period_days"] == 3
    assert report["jobs"]["total"] == 1 and report["jobs"]["by_type"] == {"add": 1}
    assert report["jobs"]["by_status"] == {"SUCCESS": 1}
    assert report["checks"]["database"]["ok"] is True
    for other in (adam, bob):  # an admin of the same organization is not the owner
        assert client_for(other).get(result["report_path"]).status_code == 404
    assert client_for(bob).get(f"/api/tasks/status/{task_id}").status_code == 404
    assert AuditLog.objects.filter(action="CREATE", resource_type="Job", resource_id=task_id).count() == 1


def test_report_is_for_admins_only(run, amir, vera):
    for user in (amir, vera):
        response = run(user, "post", "/api/tasks/start_report")
        assert response.status_code == 403
        assert set(response.json()) == {"error", "message"}
    assert not Job.objects.exists()


def test_export_csv_and_json(run, client_for, amir, alice, submit):
    submit(amir, {"type": "add", "x": 2, "y": 2})
    submit(alice, {"type": "add", "x": 1, "y": 1})  # alice's own job: not amir's to export
    response = run(amir, "get", "/api/export_data?format=csv&days=2")
    assert response.status_code == 202
    result = client_for(amir).get(f"/api/tasks/status/{response.json()['task_id']}").json()["result"]
    assert result["export_path"] == f"/exports/{result['filename']}" and result["rows"] == 1
    rows = list(csv.DictReader(io.StringIO(_body(client_for(amir).get(result["export_path"])).decode())))
    assert [(row["job_type"], row["status"]) for row in rows] == [("add", "SUCCESS")]
    assert client_for(alice).get(result["export_path"]).status_code == 404

    response = run(amir, "get", "/api/export_data")
    result = client_for(amir).get(f"/api/tasks/status/{response.json()['task_id']}").json()["result"]
    exported = json.loads(_body(client_for(amir).get(result["export_path"])))
    assert (exported["days"], exported["count"]) == (7, 2)  # the add job and the first export
    assert Job.objects.get(pk=response.json()["task_id"]).status == JobStatus.SUCCESS


@pytest.mark.parametrize("query", ["format=xml", "days=0", "days=many"])
def test_export_bad_input(run, amir, query):
    response = run(amir, "get", f"/api/export_data?{query}")
    assert response.status_code == 400
    assert {"error", "message"} <= set(response.json())
    assert not Job.objects.exists()


def test_downloads_need_the_owner_and_a_real_name(client_for, amir):
    assert client_for(amir).get("/reports/nothing.json").status_code == 404
    assert client_for(amir).get("/exports/..%2Fsecret_key").status_code == 404
