"""REST of the sqal document over stored samples: ``/api/analysis``, ``/api/sensors``, ``/api/dashboard``."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from custos.devices.models import Device
from custos.kernel.context import WriteContext
from custos.modules.quality.models import QualitySample
from custos.modules.quality.services import parse_frame, sample_ingest
from custos.modules.quality.tests.helpers import frame


def _store(device, sample_id, *, height=50.0, when=None, **extra):
    when = when or timezone.now() - timedelta(minutes=5)
    body = frame(sample_id, height=height, timestamp=when.isoformat(), device_id=device.device_id, **extra)
    ctx = WriteContext(device=device, organization_id=device.organization_id)
    return sample_ingest(ctx, device=device, frame=parse_frame(body, device_id=device.device_id)).sample


@pytest.fixture
def samples(station, helios_station):
    device, _ = station
    now = timezone.now()
    own = [
        _store(device, "N-1", when=now - timedelta(hours=3)),  # A+
        _store(device, "N-2", height=30.0, when=now - timedelta(hours=2)),  # REJECT
        _store(device, "N-3", height=46.0, when=now - timedelta(hours=1)),  # lower
    ]
    foreign = _store(helios_station[0], "H-1")
    return own, foreign


@pytest.mark.django_db
def test_history_lists_camelcase_items_of_the_callers_organization(client_for, amir, samples):
    _own, foreign = samples
    body = client_for(amir).get("/api/analysis/history/").json()
    assert body["pagination"] == {
        "totalItems": 3,
        "totalPages": 1,
        "currentPage": 1,
        "hasPrevious": False,
        "hasNext": False,
    }
    assert [item["sampleId"] for item in body["items"]] == ["N-3", "N-2", "N-1"]
    first = body["items"][2]
    assert set(first) == {
        "id", "time", "deviceId", "sampleId", "grade", "qualityScore", "numDefects", "vl53l8chScore",
        "as7341Score", "vl53l8chGrade", "as7341Grade", "defects", "vl53l8ch", "as7341",
    }  # fmt: skip
    assert (first["grade"], first["qualityScore"], first["deviceId"]) == ("A+", 1.0, "SQAL_001")
    assert first["vl53l8ch"] == {"volume_mm3": 320000.0, "avg_height_mm": 50.0, "surface_uniformity": 1.0}
    assert set(first["as7341"]) == {"channels", "freshness_index", "color_score"}
    assert str(foreign.pk) not in {item["id"] for item in body["items"]}


@pytest.mark.django_db
def test_history_filters_count_the_filtered_rows(client_for, amir, samples):
    client = client_for(amir)
    rejects = client.get("/api/analysis/history/?grade=REJECT").json()
    assert [i["sampleId"] for i in rejects["items"]] == ["N-2"]
    assert rejects["pagination"]["totalItems"] == 1
    start = (timezone.now() - timedelta(hours=2, minutes=30)).isoformat().replace("+00:00", "Z")
    recent = client.get("/api/analysis/history/", {"start_date": start, "limit": 1}).json()
    assert recent["pagination"]["totalItems"] == 2
    assert recent["pagination"]["hasNext"] is True
    assert client.get("/api/analysis/history/?device_id=NOPE").json()["pagination"]["totalItems"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["grade=Z", "start_date=yesterday", "limit=0"])
def test_history_bad_filters_are_422(client_for, amir, samples, query):
    response = client_for(amir).get(f"/api/analysis/history/?{query}")
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


@pytest.mark.django_db
def test_history_detail_and_cross_organization_404(client_for, amir, bob, samples):
    own, foreign = samples
    client = client_for(amir)
    detail = client.get(f"/api/analysis/history/{own[0].pk}").json()
    assert detail["message"] == "Success"
    assert detail["data"]["blockchain"]["hash"] == own[0].certification_hash
    assert detail["data"]["vl53l8ch"]["distance_matrix"][0][0] == 50
    assert client.get(f"/api/analysis/history/{foreign.pk}").status_code == 404
    assert client_for(bob).get(f"/api/analysis/history/{own[0].pk}").status_code == 404
    assert client.get("/api/analysis/history/not-a-uuid").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_401(api_client, samples):
    assert api_client.get("/api/analysis/history/").status_code == 401
    assert api_client.get("/api/analysis/stats/").status_code == 401
    assert api_client.get("/api/dashboard/foie-gras-metrics/").status_code == 401


@pytest.mark.django_db
def test_stats_distribution_and_timeseries(client_for, amir, samples):
    own, _ = samples
    client = client_for(amir)
    stats = client.get("/api/analysis/stats/").json()
    grades = [s.grade for s in own]
    assert stats["totalAnalyses"] == 3
    assert stats["averageQuality"] == round(sum(s.fusion_score for s in own) / 3, 4)
    assert stats["gradeDistribution"] == {g: grades.count(g) for g in ("A+", "A", "B", "C", "REJECT")}
    assert stats["defectRate"] == round(100 * sum(g in ("C", "REJECT") for g in grades) / 3, 2)
    distribution = client.get("/api/analysis/grade-distribution/").json()
    assert distribution["total"] == 3
    assert {row["grade"]: row["count"] for row in distribution["distribution"]}["REJECT"] == grades.count("REJECT")
    series = client.get("/api/analysis/timeseries/?interval=hour").json()
    assert sum(point["count"] for point in series["points"]) == 3
    assert client.get("/api/analysis/timeseries/?interval=week").status_code == 422


@pytest.mark.django_db
def test_sensor_raw_fusion_and_devices(client_for, adam, vera, bob, samples, station, helios_station):
    client = client_for(adam)
    tof = client.get("/api/sensors/vl53l8ch/raw/").json()
    assert tof["pagination"]["totalItems"] == 3
    assert len(tof["items"][0]["vl53l8ch"]["distance_matrix"]) == 8
    assert tof["items"][0]["deviceReported"]["grade"] == "C"
    spectral = client.get("/api/sensors/as7341/raw/?grade=A%2B").json()
    assert [item["sampleId"] for item in spectral["items"]] == ["N-3", "N-1"]  # 46 mm still fuses to A+
    assert spectral["items"][0]["as7341"]["channels"]["NIR"] == 5000
    fusion = client.get("/api/sensors/fusion/").json()
    assert {item["fusion"]["final_grade"] for item in fusion["items"]} <= {"A+", "A", "B", "C", "REJECT"}

    devices = client.get("/api/sensors/devices/").json()
    assert [d["deviceId"] for d in devices["items"]] == ["SQAL_001"]
    assert client.get("/api/sensors/devices/SQAL_001").json()["data"]["deviceId"] == "SQAL_001"
    updated = client.patch("/api/sensors/devices/SQAL_001", {"location": "Line 9"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["data"]["location"] == "Line 9"
    denied = client_for(vera).patch("/api/sensors/devices/SQAL_001", {"location": "X"}, format="json")
    assert denied.status_code == 403
    assert Device.objects.get(pk=station[0].pk).location == "Line 9"
    helios = helios_station[0]
    assert client_for(bob).patch("/api/sensors/devices/SQAL_001", {"location": "B"}, format="json").status_code == 200
    assert Device.objects.get(pk=station[0].pk).location == "Line 9", "bob changed his own SQAL_001 only"
    assert Device.objects.get(pk=helios.pk).location == "B"


@pytest.mark.django_db
def test_dashboards_on_an_empty_period_answer_zeros_and_nulls(client_for, amir, station):
    client = client_for(amir)
    metrics = client.get("/api/dashboard/metrics/").json()
    assert metrics["totalAnalyses"] == 0
    assert metrics["averageQuality"] == 0.0
    assert metrics["lastSampleAt"] is None
    foie = client.get("/api/dashboard/foie-gras-metrics/").json()
    assert foie["totalSamples"] == 0
    assert foie["conformityRate"] == 0.0
    assert foie["processCapability"]["cpk"] is None
    assert foie["processCapability"]["cp"] is None
    assert client.get("/api/dashboard/foie-gras-alerts/").json() == {"alerts": [], "count": 0}
    assert client.get("/api/dashboard/metrics/?days=0").status_code == 422


@pytest.mark.django_db
def test_foie_gras_capability_is_hand_computed(client_for, amir, station, helios_station):
    device, _ = station
    now = timezone.now()
    heights = [48.0, 50.0, 52.0, 50.0]
    for index, height in enumerate(heights):
        _store(device, f"C-{index}", height=height, when=now - timedelta(minutes=10 - index))
    _store(helios_station[0], "H-OUT", height=30.0)  # another organization: not counted
    mean = sum(heights) / 4
    std = math.sqrt(sum((h - mean) ** 2 for h in heights) / 3)
    foie = client_for(amir).get("/api/dashboard/foie-gras-metrics/").json()
    capability = foie["processCapability"]
    assert foie["totalSamples"] == 4
    assert capability["usl"] == 55.0
    assert capability["lsl"] == 45.0
    assert capability["cp"] == round(10 / (6 * std), 4)
    assert capability["cpk"] == round(min(55 - mean, mean - 45) / (3 * std), 4)
    assert capability["capable"] is (capability["cpk"] >= 1.33)
    assert foie["maturityIndex"] == 1.2
    alerts = client_for(amir).get("/api/dashboard/foie-gras-alerts/").json()
    assert [a["rule"] for a in alerts["alerts"]] == (["cpk"] if capability["cpk"] < 1 else [])
    assert QualitySample.objects.count() == 5
