"""The page of ``/api/analysis/history/`` (``custos.modules.quality.api.history``): read as rows of its
columns, it answers the very bytes the item presenter gives row by row, through the sqal renderer."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import timedelta

import pytest
from django.utils import timezone
from djangorestframework_camel_case.util import camelize

from custos.api.renderers import dumps
from custos.modules.quality import presenters
from custos.modules.quality.api.views import AnalysisHistoryViewSet
from custos.modules.quality.models import QualitySample
from custos.modules.quality.tests.test_api import _store


def _bare(device, sample_id, when, **extra):
    """A sample with the least a row can hold: empty documents, metrics of None, no defects."""
    values = {
        "organization_id": device.organization_id,
        "device": device,
        "sample_id": sample_id,
        "timestamp": when,
        "distance_matrix": [],
        "tof_score": 0.0,
        "tof_grade": "REJECT",
        "spectral_score": 0.0,
        "spectral_grade": "REJECT",
        "fusion_score": 0.0,
        "grade": "REJECT",
        "certification_hash": "0" * 64,
        **extra,
    }
    return QualitySample.objects.create(**values)


@pytest.fixture
def history(station, helios_station):
    device, _ = station
    now = timezone.now()
    _store(device, "N-1", when=now - timedelta(hours=5))  # analysed: metrics, channels, defects
    _store(device, "N-2", height=30.0, when=now - timedelta(hours=4))
    _bare(device, "N-3", now - timedelta(hours=3))
    _bare(
        device,
        "N-4",
        now - timedelta(hours=2),
        tof_metrics={"volume_mm3": None, "avg_height_mm": 12.5, "other_key": [1, 2]},
        # 1.5e-300, not 1e300: PostgreSQL's jsonb writes 1e300 back as a 301-digit integer
        spectral_metrics={"color_score": 1.5e-300, "freshness_index": -0.0},
        channels={"F1_415nm": 18446744073709551615, "Clear": 0.30000000000000004},
        defects=[{"type": "bruise", "snake_case_key": {"inner_key": None}}],
        num_defects=1,
    )
    _store(helios_station[0], "H-1", when=now - timedelta(hours=1))  # another organization's


def _expected(samples, *, total, skip, limit):
    """The body as the per-row presenter and the renderer made it before the page reader."""
    body = OrderedDict(
        items=[presenters.history_item(sample) for sample in samples],
        pagination=OrderedDict(
            totalItems=total,
            totalPages=math.ceil(total / limit),
            currentPage=skip // limit + 1,
            hasPrevious=skip > 0,
            hasNext=skip + limit < total,
        ),
    )
    return dumps(camelize(body, ignore_fields=presenters.SNAKE_BLOCKS))


def _own(org):
    return list(QualitySample.objects.filter(organization=org).select_related("device").order_by("-timestamp"))


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "skip", "limit"), [("", 0, 50), ("?limit=2&skip=1", 1, 2), ("?skip=9", 9, 50)])
def test_history_page_is_the_item_presenters_body(client_for, amir, org_a, history, query, skip, limit):
    own = _own(org_a)
    response = client_for(amir).get(f"/api/analysis/history/{query}")
    assert response.status_code == 200
    assert response.content == _expected(own[skip : skip + limit], total=len(own), skip=skip, limit=limit)
    assert "H-1" not in {item["sampleId"] for item in response.json()["items"]}


@pytest.mark.django_db
def test_history_page_filters_and_other_organization(client_for, bob, org_b, history):
    response = client_for(bob).get("/api/analysis/history/?device_id=SQAL_001")
    assert response.content == _expected(_own(org_b), total=1, skip=0, limit=50)
    empty = client_for(bob).get("/api/analysis/history/?grade=B")
    assert empty.content == _expected([], total=0, skip=0, limit=50)


@pytest.mark.django_db
def test_history_page_presents_samples_too(org_a, history):
    own = _own(org_a)
    data = AnalysisHistoryViewSet.serializer_class(own, many=True).data
    expected = [presenters.history_item(sample) for sample in own]
    assert list(data) == expected
