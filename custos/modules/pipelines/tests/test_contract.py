"""The API contract of every pipeline resource (custos.api.testing.ApiContractMixin): anonymous 401 in the
pipeline envelope, VIEWER writes refused with nothing changed, a create writes one audit row and one
event, another organization's row is a 404 and never listed."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from custos.alerts.models import Alert
from custos.api.testing import ApiContractMixin
from custos.modules.pipelines.analysis.synthetic import lonlat_of, synthetic_case, write_geotiff
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)

pytestmark = pytest.mark.django_db

ROUTE = {"type": "LineString", "coordinates": [[13.0, 45.0], [13.1, 45.0]]}
_CASE = synthetic_case(3, ("leak_detection",), size=64)


def _pipeline(organization, name: str = "Contract line") -> Pipeline:
    pipeline, _ = Pipeline.objects.get_or_create(
        organization=organization,
        name=name,
        defaults={"route": ROUTE, "length_km": 7.87, "diameter_mm": 500, "material": "steel"},
    )
    return pipeline


def _image(organization, day: int = 1) -> SatelliteImage:
    return SatelliteImage.objects.create(
        organization=organization,
        pipeline=_pipeline(organization),
        image_date=datetime(2026, 5, day, 10, 0, tzinfo=UTC),
        satellite_name="Sentinel-2A",
        resolution_m=10.0,
    )


class TestPipelineContract(ApiContractMixin):
    list_url = "/api/pipelines/"
    model = Pipeline

    def detail_url(self, obj):
        return f"/api/pipelines/{obj.pk}/"

    def create_payload(self, organization):
        return {"name": "New line", "diameter_mm": 300, "material": "plastic", "route": ROUTE}

    def update_payload(self, obj):
        return {"description": "inspected"}

    def make_row(self, organization, user):
        return _pipeline(organization)


class TestSegmentContract(ApiContractMixin):
    list_url = "/api/segments/"
    model = PipelineSegment

    def detail_url(self, obj):
        return f"/api/segments/{obj.pk}/"

    def create_payload(self, organization):
        pipeline = _pipeline(organization)
        return {"pipeline": str(pipeline.pk), "segment_name": "S9", "segment_number": 9, "length_km": 1.0}

    def update_payload(self, obj):
        return {"risk_level": "high"}

    def make_row(self, organization, user):
        pipeline = _pipeline(organization)
        return PipelineSegment.objects.create(
            organization=organization, pipeline=pipeline, segment_name="S1", segment_number=1, length_km=1.0
        )


class TestConfigurationContract(ApiContractMixin):
    list_url = "/api/configurations/"
    model = MonitoringConfiguration

    def detail_url(self, obj):
        return f"/api/configurations/{obj.pk}/"

    def create_payload(self, organization):
        return {"pipeline": str(_pipeline(organization, "Unconfigured").pk), "confidence_threshold": 0.8}

    def update_payload(self, obj):
        return {"buffer_m": 150.0}

    def make_row(self, organization, user):
        return MonitoringConfiguration.objects.create(organization=organization, pipeline=_pipeline(organization))


class TestSatelliteImageContract(ApiContractMixin):
    list_url = "/api/satellite-images/"
    model = SatelliteImage

    def detail_url(self, obj):
        return f"/api/satellite-images/{obj.pk}/"

    def create_payload(self, organization):
        pipeline = _pipeline(organization, "Imaged")
        route = {"type": "LineString", "coordinates": lonlat_of(_CASE.scene, _CASE.route_px)}
        Pipeline.objects.filter(pk=pipeline.pk).update(route=route)
        # No automatic analysis here: its Job has events of its own (tested in test_analysis_jobs_and_events).
        MonitoringConfiguration.objects.get_or_create(
            organization=organization, pipeline=pipeline, defaults={"auto_analysis": False}
        )
        buffer = io.BytesIO()
        write_geotiff(_CASE.scene, buffer)
        return {
            "pipeline": str(pipeline.pk),
            "image_date": "2026-06-01T10:00:00Z",
            "satellite_name": "Sentinel-2B",
            "image_file": SimpleUploadedFile("scene.tif", buffer.getvalue(), content_type="image/tiff"),
        }

    create_format = "multipart"

    def update_payload(self, obj):
        return {"sensor": "MSI"}

    def make_row(self, organization, user):
        return _image(organization)


class TestAnalysisResultContract(ApiContractMixin):
    list_url = "/api/analysis-results/"
    model = AnalysisResult

    def detail_url(self, obj):
        return f"/api/analysis-results/{obj.pk}/"

    def create_payload(self, organization):
        image = SatelliteImage.objects.filter(organization=organization).first() or _image(organization, 2)
        return {
            "satellite_image": str(image.pk),
            "analysis_type": "leak_detection",
            "confidence_score": 0.9,
            "severity": "high",
        }

    def update_payload(self, obj):
        return {"description": "confirmed by patrol"}

    def make_row(self, organization, user):
        return AnalysisResult.objects.create(
            organization=organization,
            satellite_image=_image(organization, 3),
            analysis_type="leak_detection",
            confidence_score=0.8,
            severity="medium",
        )


class TestPipelineAlertContract(ApiContractMixin):
    list_url = "/api/alerts/"
    model = Alert
    event_topic = "alerts"
    create_event = "alert_update"  # the alert lifecycle's own event (custos.alerts)

    def detail_url(self, obj):
        return f"/api/alerts/{obj.pk}/"

    def create_payload(self, organization):
        return {
            "pipeline": str(_pipeline(organization).pk),
            "alert_type": "maintenance_required",
            "priority": "low",
            "message": "valve check",
        }

    def update_payload(self, obj):
        return {"message": "valve checked"}

    def make_row(self, organization, user):
        return Alert.objects.create(
            organization=organization, source="pipeline", alert_type="maintenance_required", severity="low", message="m"
        )
