"""Pipelines, their segments, satellite images of them, analysis results and monitoring configuration.

Geometry is stored as GeoJSON (WGS84) with a bounding box in plain columns, so the ``in_bbox`` filter is
an index-friendly range query on SQLite and PostgreSQL alike (no spatial extension needed).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from custos.kernel.models import OrgOwnedModel
from custos.modules.pipelines.choices import (
    AnalysisType,
    Material,
    PipelineStatus,
    ProcessingStatus,
    ResultStatus,
    RiskLevel,
    Terrain,
)


class BBoxMixin(models.Model):
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class Pipeline(BBoxMixin, OrgOwnedModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    length_km = models.FloatField(validators=[MinValueValidator(0.1)])
    diameter_mm = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10000)])
    material = models.CharField(max_length=12, choices=Material.choices)
    status = models.CharField(max_length=12, choices=PipelineStatus.choices, default=PipelineStatus.ACTIVE)
    route = models.JSONField()  # GeoJSON LineString
    health_status = models.CharField(max_length=10, default="unknown")  # refreshed after analyses and daily
    health_updated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(OrgOwnedModel.Meta):
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=("organization", "name"), name="uniq_pipeline_name_per_org")]
        indexes = [models.Index(fields=("min_lon", "max_lon", "min_lat", "max_lat"))]

    def __str__(self) -> str:
        return self.name


class PipelineSegment(OrgOwnedModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="segments")
    segment_name = models.CharField(max_length=200)
    segment_number = models.PositiveIntegerField()
    length_km = models.FloatField(validators=[MinValueValidator(0.0)])
    geometry = models.JSONField(null=True, blank=True)  # GeoJSON LineString
    monitoring_frequency_hours = models.PositiveIntegerField(default=24, validators=[MinValueValidator(1)])
    last_monitored = models.DateTimeField(null=True, blank=True)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW)
    terrain_type = models.CharField(max_length=10, choices=Terrain.choices, default=Terrain.RURAL)

    class Meta(OrgOwnedModel.Meta):
        ordering = ("pipeline", "segment_number")
        constraints = [
            models.UniqueConstraint(fields=("pipeline", "segment_number"), name="uniq_segment_number_per_pipeline")
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name} #{self.segment_number} {self.segment_name}"


def image_upload_path(instance: SatelliteImage, filename: str) -> str:
    return f"pipelines/{instance.organization_id}/{instance.pipeline_id}/{instance.id}.tif"


def thumbnail_upload_path(instance: SatelliteImage, filename: str) -> str:
    return f"pipelines/{instance.organization_id}/{instance.pipeline_id}/{instance.id}.png"


class SatelliteImage(BBoxMixin, OrgOwnedModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="images")
    image_date = models.DateTimeField(db_index=True)
    satellite_name = models.CharField(max_length=100)
    sensor = models.CharField(max_length=100, blank=True)
    resolution_m = models.FloatField(validators=[MinValueValidator(0.01)])
    bounds = models.JSONField(null=True, blank=True)  # GeoJSON Polygon
    center = models.JSONField(null=True, blank=True)  # GeoJSON Point
    image_file = models.FileField(upload_to=image_upload_path, null=True, blank=True, max_length=300)
    thumbnail = models.FileField(upload_to=thumbnail_upload_path, null=True, blank=True, max_length=300)
    bands = models.JSONField(default=list, blank=True)  # band names in file order
    crs = models.CharField(max_length=64, blank=True)
    processing_status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.PENDING, db_index=True
    )
    processing_error = models.TextField(blank=True)
    source_api = models.CharField(max_length=50, default="upload")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta(OrgOwnedModel.Meta):
        ordering = ("-image_date",)
        constraints = [
            models.UniqueConstraint(
                fields=("pipeline", "image_date", "satellite_name"), name="uniq_image_per_pipeline_date_satellite"
            )
        ]

    def __str__(self) -> str:
        return f"{self.satellite_name} {self.image_date:%Y-%m-%d} ({self.pipeline.name})"


class AnalysisResult(OrgOwnedModel):
    satellite_image = models.ForeignKey(SatelliteImage, on_delete=models.CASCADE, related_name="results")
    analysis_type = models.CharField(max_length=32, choices=AnalysisType.choices, db_index=True)
    confidence_score = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    severity = models.CharField(max_length=10, choices=RiskLevel.choices, db_index=True)
    detected_location = models.JSONField(null=True, blank=True)  # GeoJSON Point
    affected_area = models.JSONField(null=True, blank=True)  # GeoJSON Polygon
    description = models.TextField(blank=True)
    raw_data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ResultStatus.choices, default=ResultStatus.PENDING, db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)
    alert = models.OneToOneField(
        "alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="pipeline_result"
    )

    class Meta(OrgOwnedModel.Meta):
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.analysis_type} ({self.severity}, {self.confidence_score:.2f})"


class MonitoringConfiguration(OrgOwnedModel):
    pipeline = models.OneToOneField(Pipeline, on_delete=models.CASCADE, related_name="configuration")
    analysis_enabled = models.BooleanField(default=True)
    auto_analysis = models.BooleanField(default=True)
    confidence_threshold = models.FloatField(default=0.7, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    alerts_enabled = models.BooleanField(default=True)
    email_notifications = models.BooleanField(default=True)
    notification_emails = models.JSONField(default=list, blank=True)
    monitoring_frequency_hours = models.PositiveIntegerField(default=24, validators=[MinValueValidator(1)])
    analysis_frequency_hours = models.PositiveIntegerField(default=6, validators=[MinValueValidator(1)])
    buffer_m = models.FloatField(default=300.0, validators=[MinValueValidator(10.0), MaxValueValidator(5000.0)])
    facility_points = models.JSONField(default=list, blank=True)  # [[lon, lat], ...]
    imagery_source = models.CharField(
        max_length=10,
        choices=[("none", "None (uploads only)"), ("stac", "STAC API"), ("synthetic", "Synthetic")],
        default="none",
    )
    stac_api_url = models.URLField(blank=True)
    stac_collection = models.CharField(max_length=100, blank=True)
    max_cloud_cover = models.FloatField(default=30.0, validators=[MinValueValidator(0.0), MaxValueValidator(100.0)])
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Monitoring of {self.pipeline.name}"
