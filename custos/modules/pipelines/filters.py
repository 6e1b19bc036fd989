from __future__ import annotations

import django_filters
from django.db.models import Q

from custos.modules.pipelines.geometry import parse_bbox
from custos.modules.pipelines.models import MonitoringConfiguration, Pipeline, PipelineSegment


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
