"""Analysis is always a Job (automatic or asked for); every pipeline write publishes its event; the flat
fields of the original client are stored."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from custos.jobs.models import Job
from custos.modules.pipelines.analysis.synthetic import lonlat_of, synthetic_case, write_geotiff
from custos.modules.pipelines.models import AnalysisResult, Pipeline, PipelineSegment, SatelliteImage

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return synthetic_case(5, ("leak_detection",), size=96)


@pytest.fixture
def pipeline(case, alice, client_for):
    route = {"type": "LineString", "coordinates": lonlat_of(case.scene, case.route_px)}
    created = client_for(alice).post(
        "/api/pipelines/", {"name": "Kit", "diameter_mm": 500, "material": "steel", "route": route}, format="json"
    )
    assert created.status_code == 201, created.content
    return Pipeline.objects.get(pk=created.json()["id"])


def _tiff(case) -> bytes:
    buffer = io.BytesIO()
    write_geotiff(case.scene, buffer)
    return buffer.getvalue()


def _upload(client, pipeline, case, day: int = 1):
    return client.post(
        "/api/satellite-images/",
        {
            "pipeline": str(pipeline.pk),
            "image_date": f"2026-07-{day:02d}T10:00:00Z",
            "satellite_name": "Sentinel-2A",
            "image_file": SimpleUploadedFile("scene.tif", _tiff(case), content_type="image/tiff"),
        },
        format="multipart",
    )


def test_an_upload_is_analysed_by_a_job_its_owner_can_watch(
    case, pipeline, alice, client_for, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        uploaded = _upload(client, pipeline, case)
    assert uploaded.status_code == 201, uploaded.content
    image = SatelliteImage.objects.get(pk=uploaded.json()["id"])
    job = Job.objects.get(subject_type="pipelines.SatelliteImage", subject_id=str(image.pk))
    assert (job.job_type, job.owner_id, job.parameters) == (
        "pipeline_image_analysis",
        alice.pk,
        {"image_id": str(image.pk), "automatic": True},
    )
    assert (job.status, image.processing_status) == ("SUCCESS", "completed")
    assert client.get(f"/tasks/{job.task_id}/").json()["status"] == "SUCCESS"
    assert client.get(f"/api/analysis-jobs/{job.pk}/").json()["status"] == "SUCCESS"


def test_asking_while_an_analysis_is_pending_answers_that_job(case, pipeline, alice, client_for):
    client = client_for(alice)
    uploaded = _upload(client, pipeline, case)  # on-commit callbacks not run: the automatic job stays pending
    image_id = uploaded.json()["id"]
    automatic = Job.objects.get(subject_id=image_id)
    first = client.post(f"/api/satellite-images/{image_id}/analyze/")
    second = client.post(f"/api/satellite-images/{image_id}/analyze")  # the other slash form
    assert (first.status_code, first.json()) == (
        202,
        {"status": "running", "task_id": str(automatic.task_id), "image_id": image_id},
    )
    assert (second.status_code, second.json()["task_id"]) == (202, str(automatic.task_id))
    assert Job.objects.filter(subject_id=image_id).count() == 1


def test_an_image_left_processing_without_a_live_job_can_be_analysed_again(case, pipeline, alice, client_for):
    client = client_for(alice)
    image_id = _upload(client, pipeline, case).json()["id"]
    Job.objects.filter(subject_id=image_id).update(status="FAILURE")
    SatelliteImage.objects.filter(pk=image_id).update(processing_status="processing")
    asked = client.post(f"/api/satellite-images/{image_id}/analyze/")
    assert (asked.status_code, asked.json()["status"]) == (202, "queued")
    assert Job.objects.filter(subject_id=image_id).exclude(status="FAILURE").count() == 1
    assert SatelliteImage.objects.get(pk=image_id).processing_status == "pending"


def test_a_failing_analysis_ends_failed_with_its_reason_on_the_image_and_the_job(
    case, pipeline, alice, client_for, run_jobs_inline, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    image_id = _upload(client, pipeline, case).json()["id"]
    image = SatelliteImage.objects.get(pk=image_id)
    image.image_file.storage.delete(image.image_file.name)  # the stored raster is gone
    Job.objects.filter(subject_id=image_id).update(status="CANCELLED")
    run_jobs_inline.conf.task_eager_propagates = False
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"/api/satellite-images/{image_id}/analyze/")
    job = Job.objects.get(pk=asked.json()["task_id"])
    image.refresh_from_db()
    assert image.processing_status == "failed"
    assert image.processing_error != ""
    assert (job.status, job.error != "") == ("FAILURE", True)
    assert image.processing_error in job.error


def test_every_pipeline_write_publishes_its_event(pipeline, alice, client_for, monkeypatch):
    from custos.events import services as events

    published = []
    original = events.publish

    def recording(**kwargs):
        published.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(events, "publish", recording)
    client = client_for(alice)
    segment = client.post(
        "/api/segments/",
        {
            "pipeline": str(pipeline.pk),
            "segment_name": "S1",
            "segment_number": 1,
            "length_km": 0.5,
            "start_lat": 45.0,
            "start_lon": 13.0,
            "end_lat": 45.001,
            "end_lon": 13.002,
        },
        format="json",
    )
    assert segment.status_code == 201, segment.content
    assert segment.json()["geometry"] == {"type": "LineString", "coordinates": [[13.0, 45.0], [13.002, 45.001]]}
    client.patch(f"/api/pipelines/{pipeline.pk}/", {"description": "north line"}, format="json")
    client.delete(f"/api/segments/{segment.json()['id']}/")
    assert [(e["topic"], e["event"], e["organization_id"]) for e in published] == [
        ("pipeline_segment", "pipeline_segment.create", pipeline.organization_id),
        ("pipeline", "pipeline.update", pipeline.organization_id),
        ("pipeline_segment", "pipeline_segment.delete", pipeline.organization_id),
    ]
    assert published[1]["payload"] == {
        "id": str(pipeline.pk),
        "entity": "Pipeline",
        "action": "UPDATE",
        "name": "Kit",
        "fields": ["description"],
    }
    assert not PipelineSegment.objects.exists()


def test_a_manual_result_keeps_the_flat_location(case, pipeline, alice, client_for):
    client = client_for(alice)
    image_id = _upload(client, pipeline, case).json()["id"]
    created = client.post(
        "/api/analysis-results/",
        {
            "satellite_image": image_id,
            "analysis_type": "leak_detection",
            "confidence_score": 0.9,
            "severity": "high",
            "detected_lat": 45.5,
            "detected_lon": 13.25,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["detected_location"] == {"type": "Point", "coordinates": [13.25, 45.5]}
    assert AnalysisResult.objects.get(pk=created.json()["id"]).raw_data == {"source": "manual"}
    half = client.post(
        "/api/analysis-results/",
        {
            "satellite_image": image_id,
            "analysis_type": "leak_detection",
            "confidence_score": 0.9,
            "severity": "high",
            "detected_lat": 45.5,
        },
        format="json",
    )
    assert (half.status_code, half.json()) == (
        400,
        {"detected_location": ["detected_lat and detected_lon go together."]},
    )
    assert AnalysisResult.objects.count() == 1
