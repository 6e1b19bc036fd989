"""The children of a pipeline that describe it: segments and its monitoring configuration."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from shapely.geometry import LineString

from custos.audit.writes import audited_create, audited_delete, audited_update
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import geometry
from custos.modules.pipelines.models import MonitoringConfiguration, Pipeline, PipelineSegment

SEGMENT_FIELDS = (
    "segment_name",
    "segment_number",
    "length_km",
    "monitoring_frequency_hours",
    "last_monitored",
    "risk_level",
    "terrain_type",
)


def _segment_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {field: data[field] for field in SEGMENT_FIELDS if field in data}
    if data.get("geometry") is not None:
        line = geometry.parse_geometry(data["geometry"], field="geometry", kind="LineString")
        values["geometry"] = geometry.to_geojson(line)
    elif all(data.get(name) is not None for name in ("start_lat", "start_lon", "end_lat", "end_lon")):
        start = geometry.point(data["start_lon"], data["start_lat"], field="start_lat")
        end = geometry.point(data["end_lon"], data["end_lat"], field="end_lat")
        if start.equals(end):
            raise ValidationFailed(field_errors={"geometry": ["The start and end points are the same."]})
        values["geometry"] = geometry.to_geojson(LineString([start.coords[0], end.coords[0]]))
    elif any(data.get(name) is not None for name in ("start_lat", "start_lon", "end_lat", "end_lon")):
        raise ValidationFailed(
            field_errors={"non_field_errors": ["start_lat, start_lon, end_lat and end_lon go together."]}
        )
    elif "geometry" in data:
        values["geometry"] = None
    return values


def _unique_segment_number(*, pipeline: Pipeline, number: int, exclude: Any = None) -> None:
    clash = PipelineSegment.objects.filter(pipeline=pipeline, segment_number=number)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"segment_number": ["This pipeline already has a segment with it."]})


def segment_create(ctx: WriteContext, *, pipeline: Pipeline, data: dict[str, Any]) -> PipelineSegment:
    values = _segment_values(data)
    _unique_segment_number(pipeline=pipeline, number=values["segment_number"])
    return audited_create(
        ctx, PipelineSegment, values={"organization_id": pipeline.organization_id, "pipeline": pipeline, **values}
    )


def segment_update(ctx: WriteContext, segment: PipelineSegment, *, data: dict[str, Any]) -> PipelineSegment:
    values = _segment_values(data)
    if "segment_number" in values:
        _unique_segment_number(pipeline=segment.pipeline, number=values["segment_number"], exclude=segment.pk)
    return audited_update(ctx, segment, values=values)


def segment_mark_monitored(ctx: WriteContext, segment: PipelineSegment) -> PipelineSegment:
    return audited_update(ctx, segment, values={"last_monitored": timezone.now()})


def segment_delete(ctx: WriteContext, segment: PipelineSegment) -> None:
    audited_delete(ctx, segment)


CONFIGURATION_FIELDS = (
    "analysis_enabled",
    "auto_analysis",
    "confidence_threshold",
    "alerts_enabled",
    "email_notifications",
    "notification_emails",
    "monitoring_frequency_hours",
    "analysis_frequency_hours",
    "buffer_m",
)
MAX_FACILITY_POINTS = 500


def _configuration_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {field: data[field] for field in CONFIGURATION_FIELDS if field in data}
    if "facility_points" in data:
        raw = data["facility_points"] or []
        if not isinstance(raw, (list, tuple)):
            raise ValidationFailed(field_errors={"facility_points": ["A list of [lon, lat] pairs."]})
        if len(raw) > MAX_FACILITY_POINTS:
            raise ValidationFailed(field_errors={"facility_points": [f"At most {MAX_FACILITY_POINTS} points."]})
        points = []
        for index, pair in enumerate(raw):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValidationFailed(field_errors={"facility_points": [f"Item {index}: expected [lon, lat]."]})
            point = geometry.point(pair[0], pair[1], field="facility_points")
            points.append([point.x, point.y])
        values["facility_points"] = points
    return values


def configuration_create(ctx: WriteContext, *, pipeline: Pipeline, data: dict[str, Any]) -> MonitoringConfiguration:
    if MonitoringConfiguration.objects.filter(pipeline=pipeline).exists():
        raise ValidationFailed(field_errors={"pipeline": ["This pipeline already has a configuration."]})
    values = _configuration_values(data)
    return audited_create(
        ctx,
        MonitoringConfiguration,
        values={"organization_id": pipeline.organization_id, "pipeline": pipeline, **values},
    )


def configuration_update(
    ctx: WriteContext, configuration: MonitoringConfiguration, *, data: dict[str, Any]
) -> MonitoringConfiguration:
    return audited_update(ctx, configuration, values=_configuration_values(data))


def configuration_delete(ctx: WriteContext, configuration: MonitoringConfiguration) -> None:
    audited_delete(ctx, configuration)
