"""Upload a GeoTIFF, analyse it for real, and work with the results, alerts and dashboards."""

from __future__ import annotations

import io
import math

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from pyproj import Transformer

from custos.alerts.models import Alert
from custos.audit.models import AuditLog
from custos.modules.pipelines.analysis.synthetic import lonlat_of, synthetic_case, write_geotiff
from custos.modules.pipelines.models import AnalysisResult, Pipeline, SatelliteImage
from custos.ops.models import SystemSettings

pytestmark = pytest.mark.django_db

ANOMALIES = ("leak_detection", "thermal_anomaly", "construction_activity")
QUERIES_FOR_STATS = 6


def _tiff(scene, *, describe: bool = True) -> bytes:
    buffer = io.BytesIO()
    write_geotiff(scene, buffer, describe=describe)
    return buffer.getvalue()


@pytest.fixture
def case():
    return synthetic_case(21, ANOMALIES, size=128)


@pytest.fixture
def monitored(case, alice, client_for):
    client = client_for(alice)
    route = {"type": "LineString", "coordinates": lonlat_of(case.scene, case.route_px)}
    created = client.post(
        "/api/pipelines/", {"name": "Adriatic", "diameter_mm": 900, "material": "steel", "route": route}, format="json"
    )
    assert created.status_code == 201, created.content
    pipeline = Pipeline.objects.get(pk=created.json()["id"])
    configured = client.post(
        "/api/configurations/",
        {
            "pipeline": str(pipeline.pk),
            "confidence_threshold": 0.7,
            "notification_emails": ["control-room@northwind.example"],
            "facility_points": lonlat_of(case.scene, [tuple(map(float, f)) for f in case.facilities]),
        },
        format="json",
    )
    assert configured.status_code == 201, configured.content
    return pipeline


def _upload(client, pipeline, data: bytes, day: int, **extra):
    return client.post(
        "/api/satellite-images/",
        {
            "pipeline": str(pipeline.pk),
            "image_date": f"2026-06-{day:02d}T10:00:00Z",
            "satellite_name": "Sentinel-2B",
            "sensor": "MSI",
            "image_file": SimpleUploadedFile("scene.tif", data, content_type="image/tiff"),
            **extra,
        },
        format="multipart",
    )


@pytest.fixture
def analysed(case, monitored, alice, client_for, run_jobs_inline, django_capture_on_commit_callbacks):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        before = _upload(client, monitored, _tiff(case.previous), 1)
    assert before.status_code == 201, before.content
    with django_capture_on_commit_callbacks(execute=True):
        after = _upload(client, monitored, _tiff(case.scene), 2)
    assert after.status_code == 201, after.content
    return SatelliteImage.objects.get(pk=after.json()["id"])


def test_upload_is_checked_georeferenced_and_thumbnailed(case, monitored, alice, client_for):
    response = _upload(client_for(alice), monitored, _tiff(case.scene), 3)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["bands"] == ["blue", "green", "red", "nir", "swir16", "swir22", "thermal", "displacement"]
    assert (body["crs"], body["resolution_m"], body["processing_status"]) == ("EPSG:32633", 10.0, "pending")
    assert body["bounds"]["type"] == "Polygon"
    lon, lat = body["center"]["coordinates"]
    # the scene is 128 px of 10 m from (500000 E, 4500000 N) in UTM 33N: its centre is 640 m in from there
    expected = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform(500640.0, 4499360.0)
    assert (lon, lat) == (pytest.approx(expected[0], abs=1e-4), pytest.approx(expected[1], abs=1e-4))
    image = SatelliteImage.objects.get(pk=body["id"])
    assert image.image_file.read()[:4] == b"II*\x00"
    assert image.thumbnail.read()[:8] == b"\x89PNG\r\n\x1a\n"
    assert AuditLog.objects.filter(resource_type="SatelliteImage", action="CREATE").count() == 1


def test_analysis_finds_the_injected_anomalies_and_raises_alerts(case, analysed, alice, client_for):
    previous = SatelliteImage.objects.exclude(pk=analysed.pk).get()
    assert (previous.processing_status, previous.results.count()) == ("completed", 0)
    analysed.refresh_from_db()
    assert analysed.processing_status == "completed"
    assert analysed.metadata["previous_used"] is True
    results = list(AnalysisResult.objects.filter(satellite_image=analysed))
    assert sorted(r.analysis_type for r in results) == sorted(ANOMALIES)
    truths = {t.analysis_type: lonlat_of(case.scene, [t.centroid_px])[0] for t in case.truths}
    for result in results:
        lon, lat = result.detected_location["coordinates"]
        t_lon, t_lat = truths[result.analysis_type]
        metres = math.hypot((lon - t_lon) * 111_320 * math.cos(math.radians(lat)), (lat - t_lat) * 111_320)
        assert metres <= 20.0, (result.analysis_type, metres)
        assert result.affected_area["type"] in {"Polygon", "MultiPolygon"}
        assert result.raw_data["engine"] == "custos.spectral.v1"
    alerts = Alert.objects.filter(source="pipeline")
    expected = [r for r in results if r.confidence_score >= 0.7 or r.severity == "critical"]
    assert alerts.count() == len(expected) > 0
    assert {r.status for r in expected} == {"alert_created"}
    assert len(mail.outbox) == len(expected)
    assert mail.outbox[0].to == ["control-room@northwind.example"]
    assert all(alert.sent_at is not None for alert in alerts)

    listed = client_for(alice).get(f"/api/satellite-images/{analysed.pk}/analysis-results/").json()
    assert listed["count"] == 3


def test_bad_uploads_change_nothing(case, monitored, alice, client_for):
    client = client_for(alice)
    not_tiff = _upload(client, monitored, b"\x89PNG\r\n\x1a\n" + b"0" * 100, 4)
    assert (not_tiff.status_code, not_tiff.json()) == (
        400,
        {"image_file": ["Not a GeoTIFF file (expected a TIFF or BigTIFF header)."]},
    )
    wrong_bands = _upload(client, monitored, _tiff(case.scene), 4, bands="red,green")
    assert wrong_bands.json() == {"bands": ["2 band names given for a file with 8 bands."]}
    settings_record = SystemSettings.load()
    settings_record.max_file_size_mb = 1
    settings_record.save()
    big = synthetic_case(1, (), size=256)
    too_big = _upload(client, monitored, _tiff(big.scene), 4)
    assert too_big.json() == {"image_file": ["The file is larger than the 1 MB limit."]}
    assert SatelliteImage.objects.count() == 0
    assert AuditLog.objects.filter(resource_type="SatelliteImage").count() == 0


def test_undescribed_bands_follow_the_given_names(monitored, alice, client_for):
    case = synthetic_case(2, (), size=64)
    scene = case.scene
    scene.bands = {name: scene.bands[name] for name in ("red", "green", "blue", "nir")}
    response = _upload(client_for(alice), monitored, _tiff(scene, describe=False), 5, bands="red,green,blue,nir")
    assert response.status_code == 201, response.content
    assert response.json()["bands"] == ["red", "green", "blue", "nir"]


def test_other_organizations_see_no_imagery_results_or_alerts(analysed, bob, client_for):
    client = client_for(bob)
    assert client.get("/api/satellite-images/").json()["count"] == 0
    assert client.get(f"/api/satellite-images/{analysed.pk}/").status_code == 404
    assert client.post(f"/api/satellite-images/{analysed.pk}/analyze/").status_code == 404
    assert client.get("/api/analysis-results/").json()["count"] == 0
    assert client.get("/api/alerts/").json()["count"] == 0
    result = AnalysisResult.objects.first()
    assert client.post(f"/api/analysis-results/{result.pk}/verify/").status_code == 404
    assert client.get("/api/dashboard/stats/").json()["total_pipelines"] == 0


def test_review_actions_and_alert_lifecycle(analysed, amir, client_for):
    client = client_for(amir)
    result = AnalysisResult.objects.filter(alert__isnull=False).first()
    verified = client.post(
        f"/api/analysis-results/{result.pk}/verify/", {"verification_notes": "seen on site"}, format="json"
    )
    assert verified.status_code == 200
    assert (verified.json()["status"], verified.json()["verification_notes"], verified.json()["alert"]) == (
        "verified",
        "seen on site",
        str(result.alert_id),
    )
    again = client.post(f"/api/analysis-results/{result.pk}/create-alert/")
    assert (again.status_code, again.json()) == (409, {"detail": "An alert already exists for this result."})
    false_positive = client.post(
        f"/api/analysis-results/{result.pk}/mark-false-positive/", {"notes": "shadow"}, format="json"
    )
    assert false_positive.json()["status"] == "false_positive"
    result.alert.refresh_from_db()
    assert (result.alert.status, result.alert.resolution_notes) == ("resolved", "False positive: shadow")
    active = client.get("/api/alerts/active/").json()
    assert str(result.alert.pk) not in [row["id"] for row in active["results"]]
    open_alert = Alert.objects.exclude(status="resolved").first()
    resolved = client.post(f"/api/alerts/{open_alert.pk}/resolve/", {"notes": "excavated and fixed"}, format="json")
    assert (resolved.json()["is_resolved"], resolved.json()["resolution_notes"]) == (True, "excavated and fixed")
    assert AnalysisResult.objects.get(alert=open_alert).status == "resolved"
    assert client.post(f"/api/alerts/{open_alert.pk}/resolve/").status_code == 409


def test_manual_alert_and_filters(monitored, alice, client_for):
    client = client_for(alice)
    for priority in ("low", "critical", "medium"):
        created = client.post(
            "/api/alerts/",
            {
                "pipeline": str(monitored.pk),
                "alert_type": "maintenance_required",
                "priority": priority,
                "message": f"valve check {priority}",
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        assert created.json()["pipeline"] == str(monitored.pk)
    ordered = client.get("/api/alerts/?ordering=-priority").json()["results"]
    assert [row["priority"] for row in ordered] == ["critical", "medium", "low"]
    assert client.get("/api/alerts/?priority=critical").json()["count"] == 1
    assert client.get("/api/alerts/?is_resolved=false").json()["count"] == 3
    bad = client.post("/api/alerts/", {"alert_type": "meteor", "priority": "low", "message": "x"}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"alert_type": ['"meteor" is not a valid choice.']})
    sourceless = client.post(
        "/api/alerts/", {"alert_type": "maintenance_required", "priority": "low", "message": "x"}, format="json"
    )
    assert (sourceless.status_code, sourceless.json()) == (
        400,
        {"non_field_errors": ["Name the alert's source: an analysis_result or a pipeline."]},
    )
    assert Alert.objects.count() == 3


def test_dashboard_figures(analysed, alice, client_for, django_assert_num_queries):
    client = client_for(alice)
    # user (token), memberships, then the pipelines, results, alerts and images aggregates
    with django_assert_num_queries(QUERIES_FOR_STATS):
        stats = client.get("/api/dashboard/stats/").json()
    results = AnalysisResult.objects.count()
    open_alerts = Alert.objects.exclude(status="resolved").count()
    assert stats == {
        "total_pipelines": 1,
        "active_pipelines": 1,
        "total_images": 2,
        "pending_analyses": results - open_alerts,
        "active_alerts": open_alerts,
        "critical_alerts": Alert.objects.filter(severity="critical").count(),
        "recent_anomalies": results,
        "last_analysis_date": stats["last_analysis_date"],
    }
    health = client.get("/api/dashboard/pipeline-health/").json()
    assert [(row["pipeline_name"], row["total_analyses"]) for row in health] == [("Adriatic", results)]
    activity = client.get("/api/dashboard/recent-activity/").json()
    assert (len(activity["recent_results"]), len(activity["recent_images"])) == (results, 2)


def test_reanalysis_is_idempotent(analysed, alice, client_for, run_jobs_inline, django_capture_on_commit_callbacks):
    results = set(AnalysisResult.objects.values_list("analysis_type", "severity"))
    open_alerts = Alert.objects.exclude(status="resolved").count()
    reviewed = AnalysisResult.objects.first()
    client_for(alice).post(f"/api/analysis-results/{reviewed.pk}/verify/", {"notes": "keep"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/api/satellite-images/{analysed.pk}/analyze/")
    assert (response.status_code, response.json()["status"]) == (202, "queued")
    job = client_for(alice).get(f"/tasks/{response.json()['task_id']}/").json()
    assert (job["status"], job["result"]["status"]) == ("SUCCESS", "completed")
    # the reviewed result stays and is not reported twice; the unreviewed ones are replaced
    assert AnalysisResult.objects.filter(pk=reviewed.pk).exists()
    assert set(AnalysisResult.objects.values_list("analysis_type", "severity")) == results
    assert AnalysisResult.objects.count() == len(results)
    superseded = Alert.objects.filter(resolution_notes="Superseded by a new analysis of the image.").count()
    assert superseded == open_alerts - 1
    assert Alert.objects.exclude(status="resolved").count() == open_alerts


def test_image_metadata_update_and_delete_remove_the_files(
    case, monitored, alice, vera, client_for, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    created = _upload(client, monitored, _tiff(case.scene), 6).json()
    image = SatelliteImage.objects.get(pk=created["id"])
    stored = [image.image_file.name, image.thumbnail.name]
    assert all(image.image_file.storage.exists(name) for name in stored)
    patched = client.patch(f"/api/satellite-images/{image.pk}/", {"sensor": "MSI-L2A"}, format="json")
    assert (patched.status_code, patched.json()["sensor"]) == (200, "MSI-L2A")
    denied = client_for(vera).delete(f"/api/satellite-images/{image.pk}/")
    assert denied.status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/satellite-images/{image.pk}/").status_code == 204
    assert not SatelliteImage.objects.filter(pk=image.pk).exists()
    assert not any(image.image_file.storage.exists(name) for name in stored)


def test_manual_results_and_alert_edits(case, monitored, alice, bob, client_for):
    client = client_for(alice)
    image_id = _upload(client, monitored, _tiff(case.scene), 7).json()["id"]
    body = {
        "satellite_image": image_id,
        "analysis_type": "corrosion_detection",
        "confidence_score": 0.95,
        "severity": "high",
        "detected_location": {"type": "Point", "coordinates": [15.0, 40.6]},
        "description": "Found by the line walker",
    }
    created = client.post("/api/analysis-results/", body, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["raw_data"], created.json()["status"]) == ({"source": "manual"}, "pending")
    foreign = client_for(bob).post("/api/analysis-results/", body, format="json")
    assert foreign.json() == {"satellite_image": [f'Invalid pk "{image_id}" - object does not exist.']}
    bad = client.post("/api/analysis-results/", {**body, "confidence_score": 1.5}, format="json")
    assert bad.json() == {"confidence_score": ["Ensure this value is less than or equal to 1.0."]}
    assert AnalysisResult.objects.count() == 1

    alert = client.post(f"/api/analysis-results/{created.json()['id']}/create-alert/", format="json").json()
    assert (alert["alert_type"], alert["priority"], alert["analysis_result"]) == (
        "corrosion_detected",
        "high",
        created.json()["id"],
    )
    edited = client.patch(f"/api/alerts/{alert['id']}/", {"priority": "critical"}, format="json")
    assert edited.json()["priority"] == "critical"
    assert client_for(bob).patch(f"/api/alerts/{alert['id']}/", {"priority": "low"}, format="json").status_code == 404
    assert client.delete(f"/api/alerts/{alert['id']}/").status_code == 204
    assert Alert.objects.count() == 0
    assert AuditLog.objects.filter(resource_type="Alert").values_list("action", flat=True).count() == 3


def test_stored_imagery_counts_against_the_organization_storage(
    case, monitored, alice, client_for, django_capture_on_commit_callbacks
):
    organization = monitored.organization
    client = client_for(alice)
    image_id = _upload(client, monitored, _tiff(case.scene), 8).json()["id"]
    organization.refresh_from_db()
    stored = SatelliteImage.objects.get(pk=image_id).metadata["stored_bytes"]
    assert organization.storage_used_bytes == stored > 0
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"/api/satellite-images/{image_id}/")
    organization.refresh_from_db()
    assert organization.storage_used_bytes == 0
    organization.storage_used_bytes = organization.storage_limit_bytes - 10
    organization.save(update_fields=["storage_used_bytes"])
    full = _upload(client, monitored, _tiff(case.scene), 9)
    assert full.status_code == 403
    assert full.json()["detail"].startswith("Organization 'Northwind Energy' storage limit of 10 GB would be exceeded")
    assert SatelliteImage.objects.count() == 0
