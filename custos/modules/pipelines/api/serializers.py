"""Input and output shapes of the pipeline API (GeoJSON geometry plus the flat fields older clients send)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.alerts.models import Alert
from custos.modules.pipelines.choices import AlertType, AnalysisType, Material, PipelineStatus, RiskLevel, Terrain
from custos.modules.pipelines.geometry import bbox_geojson
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)

GEOJSON = {
    "type": "object",
    "properties": {"type": {"type": "string"}, "coordinates": {"type": "array", "items": {}}},
    "required": ["type", "coordinates"],
}


@extend_schema_field(GEOJSON)
class GeoJSONField(serializers.JSONField):
    pass


class RowValueField(serializers.ReadOnlyField):
    """A read-only value computed from the row by ``compute``, presented as is: one plain call per row
    where a ``SerializerMethodField`` costs four (list pages present these for every row). ``compute``
    reads the row only, so a list page may build these fields once per serializer class."""

    context_free = True

    def __init__(self, compute: Callable[[Any], Any], **kwargs: Any) -> None:
        self.compute = compute
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return self.compute(instance)


@extend_schema_field(GEOJSON)
class GeoJSONValueField(RowValueField):
    """A computed GeoJSON object. (The decorator gives the schema its type.)"""


@extend_schema_field(OpenApiTypes.DOUBLE)
class FloatValueField(RowValueField):
    """A computed number. (The decorator gives the schema its type.)"""


@extend_schema_field({"type": "string", "nullable": True})
class OptionalStrValueField(RowValueField):
    """A computed string, or null. (The decorator gives the schema its type.)"""


def _route_start(pipeline: Pipeline) -> list[float]:
    return pipeline.route["coordinates"][0]


def _route_end(pipeline: Pipeline) -> list[float]:
    return pipeline.route["coordinates"][-1]


def _bounds(pipeline: Pipeline) -> dict[str, Any] | None:
    if pipeline.min_lon is None or pipeline.min_lat is None or pipeline.max_lon is None or pipeline.max_lat is None:
        return None  # the four are written together
    return bbox_geojson(pipeline.min_lon, pipeline.min_lat, pipeline.max_lon, pipeline.max_lat)


class PipelineWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    length_km = serializers.FloatField(min_value=0.1, required=False, allow_null=True)
    diameter_mm = serializers.IntegerField(min_value=1, max_value=10000)
    material = serializers.ChoiceField(choices=Material.choices)
    status = serializers.ChoiceField(choices=PipelineStatus.choices, required=False)
    route = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON LineString, WGS84 [lon, lat]")
    start_point = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON Point")
    end_point = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON Point")
    start_lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    start_lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    end_lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    end_lon = serializers.FloatField(required=False, min_value=-180, max_value=180)


class PipelineSerializer(serializers.ModelSerializer):
    route = GeoJSONField()
    start_point = GeoJSONValueField(lambda row: {"type": "Point", "coordinates": _route_start(row)})
    end_point = GeoJSONValueField(lambda row: {"type": "Point", "coordinates": _route_end(row)})
    start_lat = FloatValueField(lambda row: _route_start(row)[1])
    start_lon = FloatValueField(lambda row: _route_start(row)[0])
    end_lat = FloatValueField(lambda row: _route_end(row)[1])
    end_lon = FloatValueField(lambda row: _route_end(row)[0])
    bounds = GeoJSONValueField(_bounds)
    segment_count = serializers.IntegerField(read_only=True, default=0)
    organization = serializers.UUIDField(source="organization_id", read_only=True)

    class Meta:
        model = Pipeline
        fields = (
            "id",
            "organization",
            "name",
            "description",
            "length_km",
            "diameter_mm",
            "material",
            "status",
            "route",
            "start_point",
            "end_point",
            "start_lat",
            "start_lon",
            "end_lat",
            "end_lon",
            "bounds",
            "segment_count",
            "created_at",
            "updated_at",
        )


class SegmentWriteSerializer(serializers.Serializer):
    pipeline = serializers.UUIDField()
    segment_name = serializers.CharField(max_length=200)
    segment_number = serializers.IntegerField(min_value=1)
    length_km = serializers.FloatField(min_value=0.0)
    geometry = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON LineString")
    start_lat = serializers.FloatField(required=False, min_value=-90, max_value=90, help_text="Flat start/end (chord)")
    start_lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    end_lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    end_lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    monitoring_frequency_hours = serializers.IntegerField(min_value=1, max_value=8760, required=False)
    last_monitored = serializers.DateTimeField(required=False, allow_null=True)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
    terrain_type = serializers.ChoiceField(choices=Terrain.choices, required=False)


class SegmentSerializer(serializers.ModelSerializer):
    geometry = GeoJSONField(allow_null=True)
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)

    class Meta:
        model = PipelineSegment
        fields = (
            "id",
            "pipeline",
            "pipeline_name",
            "segment_name",
            "segment_number",
            "length_km",
            "geometry",
            "monitoring_frequency_hours",
            "last_monitored",
            "risk_level",
            "terrain_type",
            "created_at",
            "updated_at",
        )


class ConfigurationWriteSerializer(serializers.Serializer):
    pipeline = serializers.UUIDField()
    analysis_enabled = serializers.BooleanField(required=False)
    auto_analysis = serializers.BooleanField(required=False)
    confidence_threshold = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    alerts_enabled = serializers.BooleanField(required=False)
    email_notifications = serializers.BooleanField(required=False)
    notification_emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)
    monitoring_frequency_hours = serializers.IntegerField(min_value=1, max_value=8760, required=False)
    analysis_frequency_hours = serializers.IntegerField(min_value=1, max_value=8760, required=False)
    buffer_m = serializers.FloatField(min_value=10.0, max_value=5000.0, required=False)
    facility_points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        required=False,
        max_length=500,
    )


class ConfigurationSerializer(serializers.ModelSerializer):
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)

    class Meta:
        model = MonitoringConfiguration
        fields = (
            "id",
            "pipeline",
            "pipeline_name",
            "analysis_enabled",
            "auto_analysis",
            "confidence_threshold",
            "alerts_enabled",
            "email_notifications",
            "notification_emails",
            "monitoring_frequency_hours",
            "analysis_frequency_hours",
            "buffer_m",
            "facility_points",
            "created_at",
            "updated_at",
        )


class SatelliteImageSerializer(serializers.ModelSerializer):
    bounds = GeoJSONField(allow_null=True)
    center = GeoJSONField(allow_null=True)

    class Meta:
        model = SatelliteImage
        fields: tuple[str, ...] = (
            "id",
            "pipeline",
            "image_date",
            "satellite_name",
            "sensor",
            "resolution_m",
            "bounds",
            "center",
            "bands",
            "crs",
            "processing_status",
            "source_api",
            "created_at",
        )


class AnalysisSummarySerializer(serializers.Serializer):
    pipeline_id = serializers.UUIDField()
    pipeline_name = serializers.CharField()
    total_images = serializers.IntegerField()
    analyzed_images = serializers.IntegerField()
    last_image_date = serializers.DateTimeField(allow_null=True)
    total_analyses = serializers.IntegerField()
    average_confidence = serializers.FloatField(allow_null=True)
    last_analysis = serializers.DateTimeField(allow_null=True)
    by_type = serializers.DictField(child=serializers.IntegerField())
    by_severity = serializers.DictField(child=serializers.IntegerField())
    by_status = serializers.DictField(child=serializers.IntegerField())
    health_status = serializers.ChoiceField(choices=["critical", "warning", "healthy", "unknown"])


class BandListField(serializers.ListField):
    """Band names as a JSON list or, in multipart forms, a comma-separated string."""

    child = serializers.CharField(max_length=20)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        elif hasattr(data, "getlist"):
            data = data.getlist(self.field_name)
        return super().to_internal_value(data)

    def get_value(self, dictionary: Any) -> Any:
        value = dictionary.get(self.field_name, serializers.empty)
        return value


class SatelliteImageWriteSerializer(serializers.Serializer):
    pipeline = serializers.UUIDField()
    image_date = serializers.DateTimeField()
    satellite_name = serializers.CharField(max_length=100)
    sensor = serializers.CharField(max_length=100, required=False, allow_blank=True)
    resolution_m = serializers.FloatField(min_value=0.01, max_value=10000, required=False)
    source_api = serializers.CharField(max_length=50, required=False)
    image_file = serializers.FileField(required=False, help_text="GeoTIFF / Cloud-Optimized GeoTIFF")
    bands = BandListField(required=False, max_length=8, help_text="band names in file order")
    bounds = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON Polygon (images without a file)")
    bounds_lat_min = serializers.FloatField(required=False, min_value=-90, max_value=90)
    bounds_lat_max = serializers.FloatField(required=False, min_value=-90, max_value=90)
    bounds_lon_min = serializers.FloatField(required=False, min_value=-180, max_value=180)
    bounds_lon_max = serializers.FloatField(required=False, min_value=-180, max_value=180)


class SatelliteImageDetailSerializer(SatelliteImageSerializer):
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)
    image_file = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()
    result_count = serializers.IntegerField(read_only=True, default=0)

    class Meta(SatelliteImageSerializer.Meta):
        fields = (
            *SatelliteImageSerializer.Meta.fields,
            "pipeline_name",
            "image_file",
            "thumbnail",
            "processing_error",
            "metadata",
            "result_count",
            "updated_at",
        )

    def get_image_file(self, obj: SatelliteImage) -> str | None:
        return obj.image_file.name or None

    def get_thumbnail(self, obj: SatelliteImage) -> str | None:
        return obj.thumbnail.name or None


class AnalysisResultWriteSerializer(serializers.Serializer):
    satellite_image = serializers.UUIDField()
    analysis_type = serializers.ChoiceField(choices=AnalysisType.choices)
    confidence_score = serializers.FloatField(min_value=0.0, max_value=1.0)
    severity = serializers.ChoiceField(choices=RiskLevel.choices)
    detected_location = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON Point")
    affected_area = GeoJSONField(required=False, allow_null=True, help_text="GeoJSON Polygon")
    detected_lat = serializers.FloatField(required=False, min_value=-90, max_value=90, help_text="Flat location")
    detected_lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    raw_data = serializers.DictField(required=False)
    verification_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AnalysisResultSerializer(serializers.ModelSerializer):
    detected_location = GeoJSONField(allow_null=True)
    affected_area = GeoJSONField(allow_null=True)
    pipeline = serializers.UUIDField(source="satellite_image.pipeline_id", read_only=True)
    pipeline_name = serializers.CharField(source="satellite_image.pipeline.name", read_only=True)
    image_date = serializers.DateTimeField(source="satellite_image.image_date", read_only=True)
    verified_by = serializers.UUIDField(source="verified_by_id", read_only=True, allow_null=True)
    alert = serializers.UUIDField(source="alert_id", read_only=True, allow_null=True)

    class Meta:
        model = AnalysisResult
        fields = (
            "id",
            "satellite_image",
            "pipeline",
            "pipeline_name",
            "image_date",
            "analysis_type",
            "confidence_score",
            "severity",
            "detected_location",
            "affected_area",
            "description",
            "raw_data",
            "status",
            "verified_by",
            "verified_at",
            "verification_notes",
            "alert",
            "created_at",
            "updated_at",
        )


class ReviewSerializer(serializers.Serializer):
    """``verification_notes`` (the model's field) or ``notes``."""

    verification_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {"notes": attrs.get("verification_notes") or attrs.get("notes", "")}


class CreateAlertSerializer(serializers.Serializer):
    recipients = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)


class PipelineAlertSerializer(serializers.Serializer):
    """The pipeline document's MonitoringAlert, over the shared alert table."""

    id = serializers.UUIDField(read_only=True)
    analysis_result = OptionalStrValueField(lambda alert: alert.data.get("analysis_result_id"))
    pipeline = OptionalStrValueField(lambda alert: alert.data.get("pipeline_id"))
    alert_type = serializers.CharField()
    priority = serializers.CharField(source="severity")
    title = serializers.CharField()
    message = serializers.CharField()
    is_resolved = serializers.BooleanField()
    status = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    recipients = serializers.ListField(child=serializers.EmailField())
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.UUIDField(source="resolved_by_id", allow_null=True)
    resolution_notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        # The row type, for the list presenter (custos.api.serializers.present_rows) to read plain
        # columns directly; every field is declared above (a ModelSerializer would rebuild them per request).
        model = Alert


class PipelineAlertWriteSerializer(serializers.Serializer):
    analysis_result = serializers.UUIDField(required=False, allow_null=True)
    pipeline = serializers.UUIDField(required=False, allow_null=True, help_text="The source when no result is named")
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    priority = serializers.ChoiceField(choices=RiskLevel.choices)
    message = serializers.CharField(max_length=5000)
    recipients = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)
    is_resolved = serializers.BooleanField(required=False)


class ResolveSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class AnalysisQueuedSerializer(serializers.Serializer):
    status = serializers.CharField()
    task_id = serializers.CharField()
    image_id = serializers.UUIDField()


class DashboardStatsSerializer(serializers.Serializer):
    total_pipelines = serializers.IntegerField()
    active_pipelines = serializers.IntegerField()
    total_images = serializers.IntegerField()
    pending_analyses = serializers.IntegerField()
    active_alerts = serializers.IntegerField()
    critical_alerts = serializers.IntegerField()
    recent_anomalies = serializers.IntegerField()
    last_analysis_date = serializers.DateTimeField(allow_null=True)


class RecentActivitySerializer(serializers.Serializer):
    recent_results = AnalysisResultSerializer(many=True)
    recent_alerts = PipelineAlertSerializer(many=True)
    recent_images = SatelliteImageSerializer(many=True)


class PipelineHealthSerializer(serializers.Serializer):
    pipeline_id = serializers.UUIDField()
    pipeline_name = serializers.CharField()
    health_status = serializers.ChoiceField(choices=["critical", "warning", "healthy", "unknown"])
    total_analyses = serializers.IntegerField()
    critical_issues = serializers.IntegerField()
    high_issues = serializers.IntegerField()
    last_analysis = serializers.DateTimeField(allow_null=True)
