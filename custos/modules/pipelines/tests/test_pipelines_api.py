"""Pipelines, segments and monitoring configurations over the pipeline dialect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)

pytestmark = pytest.mark.django_db

EQUATOR_ROUTE = {"type": "LineString", "coordinates": [[0.0, 0.0], [0.1, 0.0]]}  # 11.132 km on WGS84


def _create(client, **overrides):
    body = {"name": "Line A", "diameter_mm": 600, "material": "steel", "route": EQUATOR_ROUTE, **overrides}
    return client.post("/api/pipelines/", body, format="json")


@pytest.fixture
def line_a(alice, client_for):
    response = _create(client_for(alice))
    assert response.status_code == 201, response.content
    return Pipeline.objects.get(pk=response.json()["id"])


def test_create_measures_the_route_and_answers_geojson(alice, org_a, client_for):
    response = _create(client_for(alice), description="Crude, 24 inch")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "organization": str(org_a.id),
        "name": "Line A",
        "description": "Crude, 24 inch",
        "length_km": 11.132,
        "diameter_mm": 600,
        "material": "steel",
        "status": "active",
        "route": EQUATOR_ROUTE,
        "start_point": {"type": "Point", "coordinates": [0.0, 0.0]},
        "end_point": {"type": "Point", "coordinates": [0.1, 0.0]},
        "start_lat": 0.0,
        "start_lon": 0.0,
        "end_lat": 0.0,
        "end_lon": 0.1,
        "bounds": {
            "type": "Polygon",
            "coordinates": [[[0.1, 0.0], [0.1, 0.0], [0.0, 0.0], [0.0, 0.0], [0.1, 0.0]]],
        },
        "segment_count": 0,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    row = AuditLog.objects.get(resource_type="Pipeline")
    assert (row.action, row.actor_id, row.resource_id, row.organization_id) == (
        "CREATE",
        str(alice.pk),
        body["id"],
        org_a.id,
    )


@pytest.mark.parametrize(("given", "stored"), [(11.132, 11.132), (15.0, 15.0), (None, 11.132)])
def test_flat_start_and_end_fields_make_a_chord_whose_length_is_at_least_its_own(alice, client_for, given, stored):
    """The equator chord from (0, 0) to (0, 0.1) measures 11.132 km; a real line is at least that long."""
    body = {
        "name": "Flat",
        "diameter_mm": 300,
        "material": "plastic",
        "start_lat": 0.0,
        "start_lon": 0.0,
        "end_lat": 0.0,
        "end_lon": 0.1,
    }
    if given is not None:
        body["length_km"] = given
    response = client_for(alice).post("/api/pipelines/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["route"], response.json()["length_km"]) == (EQUATOR_ROUTE, stored)


def test_a_chord_length_shorter_than_the_chord_is_refused(alice, client_for):
    body = {"name": "Flat", "diameter_mm": 300, "material": "plastic", "length_km": 11.0}
    body.update(start_lat=0.0, start_lon=0.0, end_lat=0.0, end_lon=0.1)
    response = client_for(alice).post("/api/pipelines/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"length_km": ["11.0 km is shorter than the straight line between the ends (11.132 km)."]},
    )
    assert not Pipeline.objects.filter(name="Flat").exists()


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"length_km": 20.0}, {"length_km": ["20.0 km does not match the route, which measures 11.132 km."]}),
        (
            {"route": {"type": "LineString", "coordinates": [[200.0, 0.0], [0.1, 0.0]]}},
            {"route": ["Longitude must be between -180 and 180."]},
        ),
        (
            {"route": {"type": "Point", "coordinates": [0.0, 0.0]}},
            {"route": ["Expected a GeoJSON LineString, got 'Point'."]},
        ),
        (
            {"route": "LINESTRING(0 0, 1 1)"},
            {"route": ["Expected a GeoJSON LineString object with 'type' and 'coordinates'."]},
        ),
        (
            {"route": {"type": "LineString", "coordinates": [[0.0, 0.0], [0.0005, 0.0]]}},
            {"length_km": ["The route measures 0.056 km; at least 0.1."]},
        ),
        ({"material": "wood"}, {"material": ['"wood" is not a valid choice.']}),
        ({"diameter_mm": 0}, {"diameter_mm": ["Ensure this value is greater than or equal to 1."]}),
        ({"route": None}, {"route": ["A route (GeoJSON LineString) or start and end points."]}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(alice, client_for, overrides, errors):
    response = _create(client_for(alice), **overrides)
    assert response.status_code == 400
    assert response.json() == errors
    assert Pipeline.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_names_are_unique_within_an_organization_only(line_a, alice, bob, client_for):
    again = _create(client_for(alice))
    assert (again.status_code, again.json()) == (400, {"name": ["A pipeline with this name already exists."]})
    assert _create(client_for(bob)).status_code == 201


def test_other_organizations_cannot_see_or_touch_a_pipeline(line_a, bob, client_for):
    client = client_for(bob)
    assert client.get("/api/pipelines/").json()["count"] == 0
    url = f"/api/pipelines/{line_a.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get(f"{url}analysis-summary/").status_code == 404
    line_a.refresh_from_db()
    assert line_a.name == "Line A"
    assert Pipeline.objects.count() == 1


def test_viewers_read_but_do_not_write(line_a, vera, client_for):
    client = client_for(vera)
    assert client.get(f"/api/pipelines/{line_a.pk}/").status_code == 200
    denied = _create(client, name="Line V")
    assert (denied.status_code, denied.json()) == (
        403,
        {"detail": "Your role in this organization does not allow changes."},
    )
    assert client.patch(f"/api/pipelines/{line_a.pk}/", {"status": "inactive"}, format="json").status_code == 403
    line_a.refresh_from_db()
    assert (line_a.status, Pipeline.objects.count()) == ("active", 1)


def test_update_records_the_changes(line_a, amir, client_for):
    response = client_for(amir).patch(f"/api/pipelines/{line_a.pk}/", {"status": "maintenance"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "maintenance")
    row = AuditLog.objects.get(action="UPDATE")
    assert row.changes == {"status": {"old": "active", "new": "maintenance"}}
    assert row.actor_label == "amir@northwind.example"


def test_changing_the_end_point_remeasures(line_a, alice, client_for):
    response = client_for(alice).patch(
        f"/api/pipelines/{line_a.pk}/", {"end_point": {"type": "Point", "coordinates": [0.2, 0.0]}}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["length_km"], response.json()["route"]["coordinates"]) == (22.264, [[0.0, 0.0], [0.2, 0.0]])


def test_filters_search_bbox_and_ordering(alice, client_for):
    client = client_for(alice)
    _create(client, name="North", route={"type": "LineString", "coordinates": [[10.0, 60.0], [10.5, 60.2]]})
    _create(
        client,
        name="South",
        route={"type": "LineString", "coordinates": [[10.0, -40.0], [10.5, -40.2]]},
        material="composite",
        status="inactive",
    )
    names = lambda response: [row["name"] for row in response.json()["results"]]  # noqa: E731
    assert names(client.get("/api/pipelines/?in_bbox=9,59,11,61")) == ["North"]
    assert names(client.get("/api/pipelines/?material=composite")) == ["South"]
    assert names(client.get("/api/pipelines/?status=inactive")) == ["South"]
    assert names(client.get("/api/pipelines/?search=nor")) == ["North"]
    assert names(client.get("/api/pipelines/?ordering=-name")) == ["South", "North"]
    bad = client.get("/api/pipelines/?in_bbox=1,2,3")
    assert (bad.status_code, bad.json()) == (
        400,
        {"in_bbox": ["Expected four numbers: min_lon,min_lat,max_lon,max_lat."]},
    )


def test_list_query_count_does_not_grow_with_rows(alice, client_for, django_assert_num_queries):
    client = client_for(alice)
    for index in range(2):
        _create(client, name=f"P{index}")
    # user (token), memberships, count, page
    with django_assert_num_queries(4):
        client.get("/api/pipelines/")
    for index in range(2, 6):
        _create(client, name=f"P{index}")
    with django_assert_num_queries(4):
        assert client.get("/api/pipelines/").json()["count"] == 6


# --- segments ---------------------------------------------------------------------------------


def test_segments_belong_to_a_visible_pipeline(line_a, alice, bob, client_for):
    body = {
        "pipeline": str(line_a.pk),
        "segment_name": "River crossing",
        "segment_number": 1,
        "length_km": 2.5,
        "terrain_type": "water",
        "risk_level": "high",
    }
    created = client_for(alice).post("/api/segments/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["pipeline_name"] == "Line A"
    duplicate = client_for(alice).post("/api/segments/", body, format="json")
    assert duplicate.json() == {"segment_number": ["This pipeline already has a segment with it."]}
    foreign = client_for(bob).post("/api/segments/", {**body, "segment_number": 2}, format="json")
    assert (foreign.status_code, foreign.json()) == (
        400,
        {"pipeline": [f'Invalid pk "{line_a.pk}" - object does not exist.']},
    )
    assert PipelineSegment.objects.count() == 1
    assert client_for(bob).get(f"/api/segments/{created.json()['id']}/").status_code == 404
    listed = client_for(alice).get(f"/api/pipelines/{line_a.pk}/segments/").json()
    assert [row["segment_name"] for row in listed["results"]] == ["River crossing"]
    assert client_for(alice).get(f"/api/pipelines/{line_a.pk}/").json()["segment_count"] == 1


def test_update_monitoring_stamps_the_time(line_a, amir, client_for):
    segment = PipelineSegment.objects.create(
        organization=line_a.organization, pipeline=line_a, segment_name="S1", segment_number=1, length_km=1
    )
    before = timezone.now()
    for path in ("update-monitoring", "update_monitoring"):
        response = client_for(amir).post(f"/api/segments/{segment.pk}/{path}/")
        assert response.status_code == 200
    segment.refresh_from_db()
    assert segment.last_monitored >= before
    assert AuditLog.objects.filter(resource_type="PipelineSegment", action="UPDATE").count() == 2


# --- configurations -----------------------------------------------------------------------------


def test_one_configuration_per_pipeline(line_a, alice, bob, client_for):
    body = {
        "pipeline": str(line_a.pk),
        "confidence_threshold": 0.85,
        "notification_emails": ["ops@northwind.example"],
        "facility_points": [[0.05, 0.0]],
    }
    created = client_for(alice).post("/api/configurations/", body, format="json")
    assert created.status_code == 201, created.content
    assert {
        k: created.json()[k] for k in ("confidence_threshold", "buffer_m", "facility_points", "alerts_enabled")
    } == {
        "confidence_threshold": 0.85,
        "buffer_m": 300.0,
        "facility_points": [[0.05, 0.0]],
        "alerts_enabled": True,
    }
    again = client_for(alice).post("/api/configurations/", body, format="json")
    assert again.json() == {"pipeline": ["This pipeline already has a configuration."]}
    bad = client_for(alice).patch(
        f"/api/configurations/{created.json()['id']}/", {"confidence_threshold": 1.5}, format="json"
    )
    assert bad.json() == {"confidence_threshold": ["Ensure this value is less than or equal to 1.0."]}
    assert client_for(bob).get("/api/configurations/").json()["count"] == 0
    assert MonitoringConfiguration.objects.get().confidence_threshold == 0.85


# --- summaries ----------------------------------------------------------------------------------


def _image(pipeline, days_ago: int, name: str = "Sentinel-2A") -> SatelliteImage:
    return SatelliteImage.objects.create(
        organization=pipeline.organization,
        pipeline=pipeline,
        image_date=timezone.now() - timedelta(days=days_ago),
        satellite_name=name,
        resolution_m=10,
        processing_status="completed",
    )


def _result(image, severity: str, analysis_type: str = "leak_detection", status: str = "pending") -> AnalysisResult:
    return AnalysisResult.objects.create(
        organization=image.organization,
        satellite_image=image,
        analysis_type=analysis_type,
        confidence_score=0.8,
        severity=severity,
        status=status,
    )


def test_recent_images_window(line_a, alice, client_for):
    _image(line_a, 3)
    _image(line_a, 45, "Landsat-9")
    client = client_for(alice)
    assert [
        r["satellite_name"] for r in client.get(f"/api/pipelines/{line_a.pk}/recent-images/").json()["results"]
    ] == ["Sentinel-2A"]
    assert client.get(f"/api/pipelines/{line_a.pk}/recent_images/?days=60").json()["count"] == 2
    bad = client.get(f"/api/pipelines/{line_a.pk}/recent-images/?days=0")
    assert (bad.status_code, bad.json()) == (400, {"days": ["A whole number of days from 1 to 3650."]})


def test_analysis_summary_and_health(line_a, alice, client_for):
    client = client_for(alice)
    assert client.get(f"/api/pipelines/{line_a.pk}/analysis-summary/").json()["health_status"] == "unknown"
    image = _image(line_a, 1)
    for _ in range(3):
        _result(image, "high", "vegetation_encroachment")
    _result(image, "critical", status="false_positive")
    body = client.get(f"/api/pipelines/{line_a.pk}/analysis-summary/").json()
    assert {k: body[k] for k in ("total_images", "analyzed_images", "total_analyses", "average_confidence")} == {
        "total_images": 1,
        "analyzed_images": 1,
        "total_analyses": 4,
        "average_confidence": 0.8,
    }
    assert body["by_type"] == {"leak_detection": 1, "vegetation_encroachment": 3}
    assert body["by_severity"] == {"critical": 1, "high": 3}
    assert body["health_status"] == "warning", "the critical result was a false positive"
    _result(image, "critical")
    assert client.get(f"/api/pipelines/{line_a.pk}/analysis_summary/").json()["health_status"] == "critical"


def test_a_segment_cannot_move_to_another_pipeline(line_a, alice, client_for):
    client = client_for(alice)
    other = _create(client, name="Line B").json()["id"]
    segment = PipelineSegment.objects.create(
        organization=line_a.organization, pipeline=line_a, segment_name="S1", segment_number=1, length_km=1
    )
    same = client.patch(f"/api/segments/{segment.pk}/", {"pipeline": str(line_a.pk), "length_km": 2}, format="json")
    assert (same.status_code, same.json()["length_km"]) == (200, 2.0)
    moved = client.patch(f"/api/segments/{segment.pk}/", {"pipeline": other, "length_km": 3}, format="json")
    assert (moved.status_code, moved.json()) == (
        400,
        {"pipeline": ["A pipeline segment cannot move to another pipeline."]},
    )
    segment.refresh_from_db()
    assert (segment.pipeline_id, segment.length_km) == (line_a.pk, 2.0)
