"""Failure prediction: trained on recorded failures; none recorded -> no model, never a probability."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from custos.kernel.context import WriteContext
from custos.ml.models import MLModel
from custos.modules.twin import services
from custos.modules.twin.tests.conftest import grid, make_device, record_event, store

pytestmark = pytest.mark.django_db

STEP = 10  # minutes
SIGMA = 0.02


def _drifting(values, times, failure_at, *, hours=12, rise=8 * SIGMA * 5):
    """Values rising linearly over ``hours`` before ``failure_at``; nothing is stored for 6 h after it."""
    out, kept = [], []
    for t, v in zip(times, values, strict=True):
        if failure_at <= t < failure_at + timedelta(hours=6):
            continue  # down and being repaired
        before = (failure_at - t).total_seconds() / 3600
        if 0 < before <= hours:
            v += rise * (1 - before / hours)
        out.append(v)
        kept.append(t)
    return kept, out


@pytest.fixture
def vibration_fleet(org_a, now, rng):
    """Ten days of six vibration sensors every 10 minutes (mean 0.3, sigma 0.02). VIB_0..VIB_2 drifted
    upwards for 12 h before a recorded failure (days 8, 6 and 4 ago); VIB_4 is drifting right now; VIB_5
    is healthy."""
    times = grid(now, hours=240, step_minutes=STEP)
    devices = {}
    for index in range(6):
        device = make_device(org_a, f"VIB_{index}", device_type="vibration_sensor", unit="g")
        values = 0.3 + rng.normal(0, SIGMA, len(times))
        kept = list(times)
        if index < 3:
            failure_at = now - timedelta(days=8 - 2 * index)
            kept, values = _drifting(values, times, failure_at)
            record_event(device, failure_at, "failure", "bearing seized")
            record_event(device, failure_at + timedelta(hours=5), "repair")
        if index == 4:
            values = values.copy()
            last = np.asarray([(now - t).total_seconds() / 3600 for t in times])
            values[last <= 10] += 8 * SIGMA * 5 * (1 - last[last <= 10] / 12)
        store(device, kept, values)
        devices[device.device_id] = device
    return devices


def test_drift_before_failure_raises_the_probability(alice, client_for, vibration_fleet, org_a):
    training = services.train_failure_model(WriteContext.system(organization_id=org_a.pk), organization_id=org_a.pk)
    assert training.model is not None
    assert training.model.metrics["failures"] == 3
    assert training.model.metrics["positive_windows"] > 0

    client = client_for(alice)
    drifting = client.get("/api/predictions", {"device_id": "VIB_4", "hours": 6}).json()["failure_prediction"]
    healthy = client.get("/api/predictions", {"device_id": "VIB_5", "hours": 6}).json()["failure_prediction"]
    assert drifting["model_version"] == healthy["model_version"] == 1
    assert drifting["model"]["algorithm"] == "random_forest"
    assert len(drifting["failure_probabilities"]) == len(drifting["predictions"]) == len(drifting["timestamps"]) > 0
    assert drifting["failure_probabilities"][-1] > healthy["failure_probabilities"][-1]
    assert drifting["failure_probabilities"][-1] >= 0.5
    assert healthy["failure_probabilities"][-1] < 0.5
    assert drifting["predictions"][-1] == 1
    assert healthy["high_risk_count"] == 0


def test_without_recorded_failures_there_is_no_model(alice, client_for, org_a, now, rng):
    device = make_device(org_a, "VIB_X", device_type="vibration_sensor")
    times = grid(now, hours=48, step_minutes=STEP)
    store(device, times, 0.3 + rng.normal(0, SIGMA, len(times)))
    record_event(device, now - timedelta(days=1), "maintenance")
    training = services.train_failure_model(WriteContext.system(organization_id=org_a.pk), organization_id=org_a.pk)
    assert training.model is None
    assert training.reason == services.NO_FAILURES_REASON
    assert not MLModel.objects.filter(task="twin.failure").exists()

    body = client_for(alice).get("/api/predictions", {"device_id": "VIB_X"}).json()["failure_prediction"]
    assert body["model"] is None
    assert body["reason"] == services.NO_FAILURES_REASON
    assert body["failure_probabilities"] == [] and body["predictions"] == []
    assert body["high_risk_count"] is None


def test_another_organizations_failures_are_never_learnt_from(org_a, org_b, now, rng):
    ours = make_device(org_a, "VIB_A", device_type="vibration_sensor")
    theirs = make_device(org_b, "VIB_B", device_type="vibration_sensor")
    times = grid(now, hours=48, step_minutes=STEP)
    for device in (ours, theirs):
        store(device, times, 0.3 + rng.normal(0, SIGMA, len(times)))
    record_event(theirs, now - timedelta(days=1), "failure")
    training = services.train_failure_model(WriteContext.system(organization_id=org_a.pk), organization_id=org_a.pk)
    assert training.model is None


def test_recorded_but_untrained_says_so(alice, client_for, org_a, now, rng):
    device = make_device(org_a, "VIB_Y", device_type="vibration_sensor")
    times = grid(now, hours=12, step_minutes=STEP)
    store(device, times, 0.3 + rng.normal(0, SIGMA, len(times)))
    record_event(device, now - timedelta(hours=2), "failure")
    body = client_for(alice).get("/api/predictions", {"device_id": "VIB_Y"}).json()["failure_prediction"]
    assert (body["model"], body["reason"]) == (None, services.NOT_TRAINED_REASON)
