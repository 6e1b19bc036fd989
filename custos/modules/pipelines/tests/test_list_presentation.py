"""The pipeline and alert lists present exactly what the per-row serializers do, with the derived fields
(route ends, GeoJSON bounds, segment counts) equal to their shapely / ``Count`` definitions."""

from __future__ import annotations

import math

import pytest
from django.db.models import Count
from rest_framework.test import APIRequestFactory

from custos.alerts.models import Alert
from custos.modules.pipelines.api.serializers import PipelineAlertSerializer, PipelineSerializer
from custos.modules.pipelines.geometry import bbox_geojson, bbox_polygon, to_geojson
from custos.modules.pipelines.models import Pipeline, PipelineSegment
from custos.modules.pipelines.selectors import with_segment_count

ROUTE = {"type": "LineString", "coordinates": [[10.0, 50.0], [10.05, 50.2], [10.1, 50.1]]}


@pytest.mark.parametrize(
    "box",
    [
        (10.0, 50.0, 10.1, 50.2),
        (10, 50, 11, 51),  # integers come out as floats, as shapely writes them
        (-0.0, 0.0, -0.0, 1.0),
        (5.0, 5.0, 1.0, 1.0),  # not normalised: shapely keeps the order given
        (-180.0, -90.0, 180.0, 90.0),
        (1e-320, 2.0, 3.0, 4.0),
        (math.inf, 1.0, 2.0, 3.0),
        (math.nan, 1.0, 2.0, 3.0),  # shapely makes no box
        (1.0, 2.0, 3.0, math.nan),
    ],
)
def test_bbox_geojson_is_the_shapely_box(box):
    expected = to_geojson(bbox_polygon(*box))
    got = bbox_geojson(*box)
    assert repr(got) == repr(expected)  # repr: -0.0 and the float type count too


def _pipeline(org, name, *, route=ROUTE, bbox=(10.0, 50.0, 10.1, 50.2), segments=0):
    min_lon, min_lat, max_lon, max_lat = bbox if bbox is not None else (None,) * 4
    pipeline = Pipeline.objects.create(
        organization=org,
        name=name,
        description="" if segments else "buried",
        length_km=12.5,
        diameter_mm=600,
        material="steel",
        route=route,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )
    for number in range(1, segments + 1):
        PipelineSegment.objects.create(
            organization=org, pipeline=pipeline, segment_name=f"S{number}", segment_number=number, length_km=1.0
        )
    return pipeline


def _derived_reference(pipeline: Pipeline) -> dict:
    """The derived fields as the shapely-based method fields computed them."""
    coords = pipeline.route["coordinates"]
    box = (pipeline.min_lon, pipeline.min_lat, pipeline.max_lon, pipeline.max_lat)
    bounds = None
    if box[0] is not None and box[1] is not None and box[2] is not None and box[3] is not None:
        bounds = to_geojson(bbox_polygon(box[0], box[1], box[2], box[3]))
    return {
        "start_point": {"type": "Point", "coordinates": coords[0]},
        "end_point": {"type": "Point", "coordinates": coords[-1]},
        "start_lat": coords[0][1],
        "start_lon": coords[0][0],
        "end_lat": coords[-1][1],
        "end_lon": coords[-1][0],
        "bounds": bounds,
    }


@pytest.mark.django_db
def test_pipeline_list_is_the_per_row_serializer_output(alice, org_a, bob, org_b, client_for):
    _pipeline(org_a, "A with segments", segments=3)
    _pipeline(org_a, "B without bounds", bbox=None)
    _pipeline(org_a, "C negative zero", route={"type": "LineString", "coordinates": [[-0.0, 0.0], [-0.0, 1.5]]},
              bbox=(-0.0, 0.0, -0.0, 1.5))  # fmt: skip
    _pipeline(org_b, "D elsewhere", segments=2)

    response = client_for(alice).get("/api/pipelines/?page_size=50")
    assert response.status_code == 200
    listed = response.json()["results"]

    rows = list(with_segment_count(Pipeline.objects.filter(organization=org_a)).order_by("name"))
    request = APIRequestFactory().get("/api/pipelines/")
    per_row = [dict(PipelineSerializer(row, context={"request": request}).data) for row in rows]
    assert [item["name"] for item in listed] == ["A with segments", "B without bounds", "C negative zero"]
    assert response.content.decode().count('"segment_count"') == 3
    assert listed == [_json(item) for item in per_row]

    counted = dict(Pipeline.objects.filter(organization=org_a).annotate(n=Count("segments")).values_list("name", "n"))
    for item, row in zip(listed, rows, strict=True):
        assert item["segment_count"] == counted[row.name]
        assert {key: item[key] for key in _derived_reference(row)} == _json(_derived_reference(row))
    assert listed[1]["bounds"] is None
    # The sign of zero as stored (SQLite keeps -0.0 in the JSON route; PostgreSQL's jsonb makes it 0).
    assert repr(listed[2]["start_lon"]) == repr(rows[2].route["coordinates"][0][0])

    detail = client_for(alice).get(f"/api/pipelines/{rows[0].pk}/")
    assert detail.status_code == 200
    assert detail.json() == listed[0]
    assert client_for(alice).get(f"/api/pipelines/{Pipeline.objects.get(name='D elsewhere').pk}/").status_code == 404


@pytest.mark.django_db
def test_alert_list_is_the_per_row_serializer_output(alice, org_a, client_for):
    pipeline = _pipeline(org_a, "Ionian")
    Alert.objects.create(
        organization=org_a, source="pipeline", alert_type="leak_detected", severity="critical", title="Leak",
        message="dark spot", recipients=["ops@northwind.example"],
        data={"pipeline_id": str(pipeline.pk), "analysis_result_id": "7b1c0f3e-0000-4000-8000-000000000001"},
    )  # fmt: skip
    Alert.objects.create(
        organization=org_a, source="pipeline", alert_type="maintenance_required", severity="low", message="m"
    )
    Alert.objects.create(organization=org_a, source="twin", alert_type="threshold", severity="low", message="other")

    response = client_for(alice).get("/api/alerts/?page_size=50")
    assert response.status_code == 200
    listed = response.json()["results"]
    rows = Alert.objects.filter(organization=org_a, source="pipeline").order_by("-created_at")
    assert listed == [_json(dict(PipelineAlertSerializer(row).data)) for row in rows]
    assert [(item["pipeline"], item["analysis_result"]) for item in listed] == [
        (None, None),
        (str(pipeline.pk), "7b1c0f3e-0000-4000-8000-000000000001"),
    ]
    detail = client_for(alice).get(f"/api/alerts/{rows[0].pk}/")
    assert detail.json() == listed[0]


def _json(value):
    """``value`` as the renderer writes it (datetimes are already strings; UUIDs become strings)."""
    import orjson

    return orjson.loads(orjson.dumps(value, default=str))
