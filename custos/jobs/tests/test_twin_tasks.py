"""twin: report and export jobs, their status, and owner-only downloads."""

from __future__ import annotations

import csv
import importlib
import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from custos.alerts.models import Alert
from custos.audit.models import AuditLog
from custos.devices.models import Device, Reading
from custos.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db

# The twin registers its report content from TwinConfig.ready; imported by name here as well, since a
# core app's tests must not import a domain module (import-linter).
importlib.import_module("custos.modules.twin.report_content")


@pytest.fixture
def fleet(org_a, org_b):
    """Northwind: DEV_A (0.9, three readings in the period, one 30 days old, two health records) and
    DEV_B (0.5, warning, two metrics, one open alarm); Helios: a device that must never show."""
    now = timezone.now()
    a = Device.objects.create(
        organization=org_a,
        device_id="DEV_A",
        device_type="temperature_sensor",
        name="Boiler",
        unit="°C",
        status="normal",
        health_score=0.9,
        efficiency_score=0.8,
    )
    b = Device.objects.create(
        organization=org_a,
        device_id="DEV_B",
        device_type="vibration_sensor",
        name="Pump",
        status="warning",
        health_score=0.5,
    )
    h = Device.objects.create(organization=org_b, device_id="HX", device_type="temperature_sensor")
    for device, metric, value, age in [
        (a, "value", 70.0, timedelta(hours=30)),
        (a, "value", 72.0, timedelta(hours=20)),
        (a, "value", 74.0, timedelta(hours=10)),
        (a, "value", 99.0, timedelta(days=30)),
        (b, "value", 0.2, timedelta(hours=5)),
        (b, "value", 0.6, timedelta(hours=4)),
        (b, "temperature", 40.0, timedelta(hours=3)),
        (h, "value", 1.0, timedelta(hours=1)),
    ]:
        Reading.objects.create(
            device=device, organization_id=device.organization_id, metric=metric, value=value, timestamp=now - age
        )
    record = apps.get_model("twin", "HealthRecord")
    for score, status, age in [(0.8, "good", 20), (0.9, "good", 2)]:
        record.objects.create(
            organization=org_a,
            device=a,
            computed_at=now - timedelta(hours=age),
            health_score=score,
            efficiency_score=0.8,
            status=status,
        )
    Alert.objects.create(
        organization=org_a,
        source="twin",
        alert_type="vibration",
        severity="high",
        message="Vibration 0.6 > 0.5",
        subject_type="devices.Device",
        subject_id="DEV_B",
        data={"rule_name": "vibration", "value": 0.6},
    )
    return a, b


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


def test_health_report_job_produces_an_owner_only_file(run, client_for, alice, adam, amir, bob, org_a, submit, fleet):
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
    assert report["report"] == "twin_health" and report["status"] == "healthy"
    assert report["summary"] == {
        "devices": 2,
        "scored_devices": 2,
        "average_health_score": 0.7,
        "status_distribution": {"normal": 1, "warning": 1, "critical": 0, "offline": 0},
        "readings": 6,
        "alarms_raised": 1,
        "active_alarms": 1,
        "platform_status": "healthy",
    }
    dev_a, dev_b = report["devices"]
    assert (dev_a["device_id"], dev_a["health_score"], dev_a["health_status"], dev_a["status"]) == (
        "DEV_A",
        0.9,
        "good",
        "normal",
    )
    assert dev_a["health"] == {"records": 2, "average": 0.85, "minimum": 0.8, "maximum": 0.9, "latest_status": "good"}
    assert dev_a["readings"] == {"value": {"count": 3, "min": 70.0, "max": 74.0, "avg": 72.0}}  # not the 30-day-old one
    assert dev_a["latest_readings"]["value"]["value"] == 74.0
    assert dev_a["alarms"] == {"raised": 0, "active": 0, "by_severity": {}}
    assert (dev_b["health_status"], dev_b["health"]["records"]) == ("critical", 0)
    assert {m: v["value"] for m, v in dev_b["latest_readings"].items()} == {"temperature": 40.0, "value": 0.6}
    assert dev_b["alarms"] == {"raised": 1, "active": 1, "by_severity": {"warning": 1}}
    assert [row["device_id"] for row in report["sections"]["devices"]["rows"]] == ["DEV_A", "DEV_B"]
    assert [(r["device_id"], r["rule"], r["severity"]) for r in report["sections"]["alarms"]["rows"]] == [
        ("DEV_B", "vibration", "warning")
    ]
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


def test_export_csv_and_json(run, client_for, amir, alice, fleet):
    response = run(amir, "get", "/api/export_data?format=csv&days=2")
    assert response.status_code == 202
    result = client_for(amir).get(f"/api/tasks/status/{response.json()['task_id']}").json()["result"]
    assert result["export_path"] == f"/exports/{result['filename']}" and result["rows"] == 6
    rows = list(csv.DictReader(io.StringIO(_body(client_for(amir).get(result["export_path"])).decode())))
    assert [(r["device_id"], r["metric"], r["value"], r["unit"]) for r in rows] == [
        ("DEV_A", "value", "70.0", "°C"),
        ("DEV_A", "value", "72.0", "°C"),
        ("DEV_A", "value", "74.0", "°C"),
        ("DEV_B", "temperature", "40.0", ""),
        ("DEV_B", "value", "0.2", ""),
        ("DEV_B", "value", "0.6", ""),
    ]  # the organization's readings of the last 2 days, by device, metric and time; never Helios's
    assert client_for(alice).get(result["export_path"]).status_code == 404  # the owner's file only

    response = run(amir, "get", "/api/export_data?days=60")
    result = client_for(amir).get(f"/api/tasks/status/{response.json()['task_id']}").json()["result"]
    exported = json.loads(_body(client_for(amir).get(result["export_path"])))
    assert (exported["period_days"], exported["sections"]["readings"]["count"]) == (60, 7)  # with the old reading
    assert exported["sections"]["readings"]["rows"][0]["value"] == 99.0
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
