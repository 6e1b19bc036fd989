"""Health scores: the weighted sum of five components computed from stored data, stored on the device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.devices.models import Device
from custos.kernel.context import WriteContext
from custos.modules.twin import services
from custos.modules.twin.analytics.health import status_of
from custos.modules.twin.models import HealthRecord
from custos.modules.twin.tests.conftest import make_device, record_event, store

pytestmark = pytest.mark.django_db

S = 1.4826  # MAD 1 -> scale


@pytest.fixture
def moment():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def constructed(org_a, moment):
    """24 hourly readings, one in each hour of the last day: 12 x 10.0, 10 x 12.0, 30.0 and 100.0.
    Median 11, MAD 1. One failure 10 days ago, maintenance 100 days ago."""
    device = make_device(org_a, "HAND_1", device_type="pressure_sensor")
    values = [10.0] * 12 + [12.0] * 10 + [30.0, 100.0]
    times = [moment - timedelta(hours=23.5) + timedelta(hours=i) for i in range(24)]
    store(device, times, values)
    record_event(device, moment - timedelta(days=10), "failure")
    record_event(device, moment - timedelta(days=100), "maintenance")
    return device


def _hand_computed():
    median, scale = 11.0, S
    values = [10.0] * 12 + [12.0] * 10 + [30.0, 100.0]
    performance = sum(abs(v - median) <= 3 * scale for v in values) / 24  # 22/24
    reliability = (24 / 24) * 0.5**1
    efficiency = max(0.0, 1 - abs(sum(values) / 24 - median) / (3 * scale))
    safety = max(0.0, 1 - 10 * sum(abs(v - median) > 5 * scale for v in values) / 24)  # 2 beyond 5 sigma
    maintenance = 1 - (100 - 90) / 90
    components = {
        "performance": performance,
        "reliability": reliability,
        "efficiency": efficiency,
        "safety": safety,
        "maintenance": maintenance,
    }
    score = 0.30 * performance + 0.25 * reliability + 0.20 * efficiency + 0.15 * safety + 0.10 * maintenance
    return score, components


def test_score_equals_the_hand_computed_weighted_sum(constructed, moment):
    scored = services.health_scores_update(
        WriteContext.system(organization_id=constructed.organization_id), devices=[constructed], now=moment
    )
    expected, components = _hand_computed()
    assert scored[0].health.components == pytest.approx(components)
    assert scored[0].health.score == pytest.approx(expected)
    constructed.refresh_from_db()
    assert constructed.health_score == pytest.approx(expected)
    assert constructed.efficiency_score == pytest.approx(components["efficiency"])
    record = HealthRecord.objects.get(device=constructed)
    assert record.status == status_of(expected) == "critical"  # 0.3 <= score < 0.6
    assert record.components == pytest.approx(components)


@pytest.mark.parametrize(
    ("score", "status"),
    [(0.95, "excellent"), (0.9, "good"), (0.8, "good"), (0.7, "warning"), (0.6, "warning"), (0.3, "critical"),
     (0.29, "failure")],
)  # fmt: skip
def test_status_bands(score, status):
    assert status_of(score) == status


def test_safe_range_from_metadata(org_a, moment):
    device = make_device(org_a, "SAFE_1", metadata={"safe_max": 50})
    store(device, [moment - timedelta(hours=23.5) + timedelta(hours=i) for i in range(4)], [10, 20, 60, 70])
    scored = services.score_devices([device], now=moment)
    assert scored[0].health.components["safety"] == 0.5
    assert scored[0].health.components["maintenance"] == 0.5  # no maintenance recorded: unknown


def test_health_scores_route_scores_on_demand_and_hides_other_organizations(
    alice, client_for, constructed, org_b, moment
):
    theirs = make_device(org_b, "THEIRS")
    store(theirs, [moment - timedelta(hours=1)], [1.0])
    body = client_for(alice).get("/api/health_scores").json()
    expected, _ = _hand_computed()
    assert list(body) == ["HAND_1"]
    assert body["HAND_1"] == pytest.approx(expected, abs=0.02)  # scored now: the clock has moved a little
    assert Device.objects.get(pk=theirs.pk).health_score is None
    details = client_for(alice).get("/api/health_scores", {"details": "true"}).json()
    assert set(details["HAND_1"]["components"]) == {"performance", "reliability", "efficiency", "safety", "maintenance"}


def test_health_scores_refresh_needs_a_member(vera, client_for, constructed):
    Device.objects.filter(pk=constructed.pk).update(health_score=0.5)
    response = client_for(vera).get("/api/health_scores", {"refresh": "true"})
    assert response.status_code == 403
    assert Device.objects.get(pk=constructed.pk).health_score == 0.5
    assert not HealthRecord.objects.exists()


def test_unknown_device_and_bad_flag(alice, client_for, constructed):
    client = client_for(alice)
    assert client.get("/api/health_scores", {"device_id": "NOPE"}).status_code == 404
    assert client.get("/api/health_scores", {"details": "maybe"}).status_code == 400


def test_device_without_readings_has_no_score(alice, client_for, org_a):
    make_device(org_a, "EMPTY_1")
    assert client_for(alice).get("/api/health_scores").json() == {"EMPTY_1": None}


def test_periodic_update_scores_every_organization(constructed, org_b, moment):
    theirs = make_device(org_b, "THEIRS")
    store(theirs, [moment - timedelta(hours=1)], [1.0])
    assert services.health_scores_update_all() == 2
    assert HealthRecord.objects.filter(device=theirs, organization=org_b).count() == 1
