from __future__ import annotations

import django_filters
from django.db.models import Q

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.modules.pipelines.choices import AlertType, RiskLevel
from custos.modules.pipelines.geometry import parse_bbox
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)


def bbox_filter(queryset, name, value):
    """Rows whose bounding box intersects ``min_lon,min_lat,max_lon,max_lat``."""
    min_lon, min_lat, max_lon, max_lat = parse_bbox(value, field=name)
    return queryset.filter(
        Q(min_lon__lte=max_lon) & Q(max_lon__gte=min_lon) & Q(min_lat__lte=max_lat) & Q(max_lat__gte=min_lat)
    )


class PipelineFilter(django_filters.FilterSet):
    in_bbox = django_filters.CharFilter(method=bbox_filter, label="min_lon,min_lat,max_lon,max_lat")

    class Meta:
        model = Pipeline
        fields = ("status", "material")


class SegmentFilter(django_filters.FilterSet):
    class Meta:
        model = PipelineSegment
        fields = ("pipeline", "risk_level", "terrain_type")


class ConfigurationFilter(django_filters.FilterSet):
    class Meta:
        model = MonitoringConfiguration
        fields = ("pipeline",)


class SatelliteImageFilter(django_filters.FilterSet):
    class Meta:
        model = SatelliteImage
        fields = ("pipeline", "satellite_name", "processing_status", "source_api")


class AnalysisResultFilter(django_filters.FilterSet):
    pipeline = django_filters.UUIDFilter(field_name="satellite_image__pipeline")
    confidence_min = django_filters.NumberFilter(field_name="confidence_score", lookup_expr="gte")
    confidence_max = django_filters.NumberFilter(field_name="confidence_score", lookup_expr="lte")
    date_from = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    date_to = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    verified = django_filters.BooleanFilter(field_name="verified_by", lookup_expr="isnull", exclude=True)

    class Meta:
        model = AnalysisResult
        fields = ("analysis_type", "severity", "status", "satellite_image")


class PipelineAlertFilter(django_filters.FilterSet):
    is_resolved = django_filters.BooleanFilter(method="filter_resolved")
    priority = django_filters.ChoiceFilter(field_name="severity", choices=RiskLevel.choices)
    alert_type = django_filters.ChoiceFilter(choices=AlertType.choices)

    class Meta:
        model = Alert
        fields = ("is_resolved", "priority", "alert_type")

    def filter_resolved(self, queryset, name, value):
        return queryset.filter(status=AlertStatus.RESOLVED) if value else queryset.exclude(status=AlertStatus.RESOLVED)
