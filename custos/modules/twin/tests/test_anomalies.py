"""Anomaly detection: an injected fault at a known time is flagged at that time and nowhere else."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from custos.jobs.models import Job
from custos.ml.models import MLModel
from custos.modules.twin.tests.conftest import grid, make_device, store

pytestmark = pytest.mark.django_db


def _z(moment):
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def fleet(org_a, now, rng):
    """Four temperature sensors, 3 days every 5 minutes, noise sigma 0.5; TEMP_2 has one spike of +8
    (16 sigma) three hours ago."""
    times = grid(now, hours=72, step_minutes=5)
    devices = {}
    spike_at = now - timedelta(hours=3)
    for index in range(4):
        device = make_device(org_a, f"TEMP_{index}", unit="°C")
        values = 60 + 5 * index + rng.normal(0, 0.5, len(times))
        if index == 2:
            values[times.index(spike_at)] += 8.0
        store(device, times, values)
        devices[device.device_id] = device
    return {"devices": devices, "spike_at": spike_at, "times": times}


def _predict(client, device_id, hours=24):
    return client.get("/api/predictions", {"device_id": device_id, "hours": hours})


def test_robust_zscore_flags_the_injected_spike_only(alice, client_for, fleet):
    client = client_for(alice)
    body = _predict(client, "TEMP_2").json()
    anomalies = body["anomaly_prediction"]
    assert anomalies["method"] == "robust_zscore"
    assert anomalies["model_version"] is None
    assert anomalies["anomaly_timestamps"] == [_z(fleet["spike_at"])]
    assert anomalies["anomaly_count"] == 1
    start = datetime.fromisoformat(body["window"]["start"])
    in_window = [t for t in fleet["times"] if t >= start]
    assert anomalies["readings_analyzed"] == len(in_window)
    assert anomalies["anomaly_indices"] == [in_window.index(fleet["spike_at"])]
    for other in ("TEMP_0", "TEMP_1", "TEMP_3"):
        assert _predict(client, other).json()["anomaly_prediction"]["anomaly_count"] == 0


def test_isolation_forest_trained_as_a_job_flags_the_spike_only(
    alice, client_for, fleet, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/models", {"days": 30}, format="json")
    assert started.status_code == 202, started.content
    model = MLModel.objects.get(task="twin.anomaly", scope="temperature_sensor")
    assert (model.version, model.is_active, model.algorithm) == (1, True, "isolation_forest")
    assert model.metrics["readings"] == 4 * 864
    assert model.artifact.name.endswith("v1.joblib")
    job = Job.objects.get(pk=started.json()["task_id"])
    assert (job.status, job.job_type) == ("SUCCESS", "twin.train_models")
    assert job.result["anomaly_models"][0]["version"] == 1
    assert job.result["failure_model"] is None  # no failure recorded

    body = _predict(client, "TEMP_2").json()
    assert body["device_id"] == "TEMP_2"
    assert body["window"]["hours"] == 24
    anomalies = body["anomaly_prediction"]
    assert (anomalies["method"], anomalies["model_version"]) == ("isolation_forest", 1)
    assert anomalies["anomaly_timestamps"] == [_z(fleet["spike_at"])]
    for other in ("TEMP_0", "TEMP_1", "TEMP_3"):
        assert _predict(client, other).json()["anomaly_prediction"]["anomaly_timestamps"] == []

    # Retraining makes version 2 the active one; version 1 is retired.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/models", {}, format="json")
    versions = dict(MLModel.objects.filter(task="twin.anomaly").values_list("version", "is_active"))
    assert versions == {1: False, 2: True}
    assert _predict(client, "TEMP_2").json()["anomaly_prediction"]["model_version"] == 2


def test_window_outside_the_spike_sees_nothing(alice, client_for, fleet):
    body = _predict(client_for(alice), "TEMP_2", hours=2).json()
    assert body["anomaly_prediction"]["anomaly_count"] == 0
    start = datetime.fromisoformat(body["window"]["start"])
    assert body["anomaly_prediction"]["readings_analyzed"] == sum(1 for t in fleet["times"] if t >= start)


@pytest.mark.parametrize("hours", ["0", "169", "x"])
def test_hours_out_of_range_is_400(alice, client_for, fleet, hours):
    response = _predict(client_for(alice), "TEMP_2", hours=hours)
    assert response.status_code == 400


def test_missing_or_unknown_device(alice, client_for, fleet):
    client = client_for(alice)
    assert client.get("/api/predictions").status_code == 400
    assert _predict(client, "NOPE").status_code == 404


def test_device_without_recent_readings_is_404(alice, client_for, org_a):
    make_device(org_a, "SILENT")
    assert _predict(client_for(alice), "SILENT").status_code == 404


def test_another_organizations_device_is_404(bob, client_for, fleet):
    assert _predict(client_for(bob), "TEMP_2").status_code == 404


def test_training_needs_an_admin_and_changes_nothing_otherwise(vera, amir, client_for, fleet, run_jobs_inline):
    for user in (vera, amir):
        assert client_for(user).post("/api/models", {}, format="json").status_code == 403
    assert MLModel.objects.count() == 0


def test_bad_training_input(alice, client_for, fleet, run_jobs_inline):
    assert client_for(alice).post("/api/models", {"days": 0}, format="json").status_code == 400
    assert MLModel.objects.count() == 0


def test_anonymous_is_401(api_client, fleet):
    assert api_client.get("/api/predictions", {"device_id": "TEMP_2"}).status_code == 401
