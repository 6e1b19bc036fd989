"""The design list reads its page as value rows (``QuerySet.values()``): each row must be exactly what
``DesignSerializer`` shows of the design instance (the detail route), whatever ``?fields=`` selects."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from custos.api.serializers import make_fast_list
from custos.modules.plm.api.serializers import DesignSerializer
from custos.modules.plm.models import DesignAsset
from custos.modules.plm.tests.conftest import make_design, make_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def designs(org_a, alice, series_a) -> list[DesignAsset]:
    """A processed-looking design with a preview, and one with every optional value None or empty."""
    full = make_design(
        series_a,
        alice,
        revision="Rev B",
        units="mm",
        material="Ti-6Al-4V",
        is_valid_geometry=True,
        validation_errors=["open shell"],
        validation_warnings=[{"code": "W1", "detail": "thin wall"}],
        bounding_box={"min": {"x": 0, "y": 0, "z": 0}, "max": {"x": 1.5, "y": 2, "z": 3}},
        volume_cubic_mm=125000.25,
        surface_area_sq_mm=17500.0,
        center_of_mass={"x": 0.75, "y": 1.0, "z": 1.5},
        topology={"solids": 1, "faces": 6},
        mass_kg=0.5,
        preview="designs/previews/full.glb",
        preview_info={"triangles": 12, "method": "tessellation"},
        processed_at=dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC),
        status_reason="",
    )
    bare = make_design(series_a, None, filename="bare.stl", file_format="STL", status="UPLOADING")
    return [full, bare]


def test_each_list_row_is_the_design_as_its_detail_shows_it(client_for, alice, designs):
    client = client_for(alice)
    rows = client.get("/api/designs/", {"page_size": 50}).json()["results"]
    assert [row["id"] for row in rows] == [str(d.pk) for d in sorted(designs, key=lambda d: d.created_at)][::-1]
    for row in rows:
        assert json.dumps(row) == json.dumps(client.get(f"/api/designs/{row['id']}/").json())
    full, bare = (next(row for row in rows if row["id"] == str(d.pk)) for d in designs)
    assert full["preview_url"] == f"http://testserver/api/designs/{full['id']}/preview/"
    assert full["processed_at"] == "2024-05-06T07:08:09.123456Z" and full["uploaded_by_username"]
    assert bare["preview_url"] is None and bare["processed_at"] is None and bare["bounding_box"] is None
    assert bare["uploaded_by"] is None and bare["uploaded_by_username"] is None and bare["analysis_job_id"] is None


@pytest.mark.parametrize(
    "fields",
    ["id,part_number,series_name,uploaded_by_username", "preview_url", "created_at, preview ,status", "nothing", ","],
)
def test_field_selection_picks_the_same_values_in_the_list_and_the_detail(client_for, alice, designs, fields):
    client = client_for(alice)
    rows = client.get("/api/designs/", {"page_size": 50, "fields": fields}).json()["results"]
    assert len(rows) == len(designs)
    for design, row in zip(sorted(designs, key=lambda d: d.created_at, reverse=True), rows, strict=True):
        detail = client.get(f"/api/designs/{design.pk}/", {"fields": fields}).json()
        assert json.dumps(row) == json.dumps(detail)


def test_value_rows_and_instances_present_the_same_body(designs):
    request = Request(APIRequestFactory().get("/api/designs/"))
    context = {"request": request}
    rows = list(DesignAsset.objects.order_by("created_at").values(*DesignSerializer(context=context).value_columns()))
    instances = list(DesignAsset.objects.select_related("series", "uploaded_by").order_by("created_at"))
    one_by_one: list[Any] = [DesignSerializer(d, context=context).data for d in instances]
    fast_rows = make_fast_list(DesignSerializer(rows, many=True, context=context)).data  # as the list view
    drf_rows = DesignSerializer(rows, many=True, context=context).data  # DRF's own ListSerializer
    fast_instances = make_fast_list(DesignSerializer(instances, many=True, context=context)).data
    assert json.dumps(fast_rows) == json.dumps(drf_rows) == json.dumps(fast_instances) == json.dumps(one_by_one)
    assert "preview_url" in one_by_one[0] and one_by_one[0]["part_number"] == "TB-001"


def test_the_list_shows_only_the_callers_organization(client_for, alice, bob, designs, org_b):
    theirs = make_design(make_series(org_b, bob, part_number="HB-009"), bob)
    mine = {str(d.pk) for d in designs}
    assert {row["id"] for row in client_for(alice).get("/api/designs/").json()["results"]} == mine
    assert [row["id"] for row in client_for(bob).get("/api/designs/").json()["results"]] == [str(theirs.pk)]


def test_fields_are_built_once_per_class_and_bound_per_instance(designs):
    first, second = DesignSerializer(), DesignSerializer()
    assert first.fields["part_number"] is not second.fields["part_number"]
    assert first.fields["part_number"].parent is first and second.fields["part_number"].parent is second
    assert first.fields["preview_url"].method_name == "get_preview_url"
