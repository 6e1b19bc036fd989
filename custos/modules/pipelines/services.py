"""Writes of the pipeline domain. Each takes the acting user, audits in the same transaction, and raises
``custos.kernel.errors`` for the caller to render."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely.geometry import LineString

from custos.audit.services import audit_record
from custos.kernel.errors import PermissionDenied, ValidationFailed
from custos.modules.pipelines import geometry
from custos.modules.pipelines.models import MonitoringConfiguration, Pipeline, PipelineSegment
from custos.orgs.choices import WRITE_ROLES
from custos.orgs.selectors import role_of

PIPELINE_FIELDS = ("name", "description", "length_km", "diameter_mm", "material", "status")


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)


def _changes(instance: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        field: [_plain(getattr(instance, field)), _plain(value)]
        for field, value in values.items()
        if getattr(instance, field) != value
    }


def _require_write_role(*, actor: Any, organization_id: Any) -> None:
    if role_of(user=actor, organization=organization_id) not in WRITE_ROLES:
        raise PermissionDenied("Your role in this organization does not allow changes.")


def _route_from(data: dict[str, Any], current: Pipeline | None) -> LineString | None:
    """The route from ``route`` (GeoJSON), ``start_point``/``end_point`` (GeoJSON) or the flat
    ``start_lat/start_lon/end_lat/end_lon`` fields; ``None`` when the data names no new route."""
    if data.get("route") is not None:
        return geometry.parse_geometry(data["route"], field="route", kind="LineString")
    start = end = None
    if data.get("start_point") is not None:
        start = geometry.parse_geometry(data["start_point"], field="start_point", kind="Point")
    if data.get("end_point") is not None:
        end = geometry.parse_geometry(data["end_point"], field="end_point", kind="Point")
    flat = [data.get(name) for name in ("start_lat", "start_lon", "end_lat", "end_lon")]
    if any(value is not None for value in flat):
        if any(value is None for value in flat):
            raise ValidationFailed(
                field_errors={"non_field_errors": ["start_lat, start_lon, end_lat and end_lon go together."]}
            )
        start = geometry.point(flat[1], flat[0], field="start_lat")
        end = geometry.point(flat[3], flat[2], field="end_lat")
    if start is None and end is None:
        return None
    if current is not None:
        coords = list(LineString(current.route["coordinates"]).coords)
        start = start or geometry.point(*coords[0], field="start_point")
        end = end or geometry.point(*coords[-1], field="end_point")
    if start is None or end is None:
        raise ValidationFailed(field_errors={"route": ["Give the route, or both a start and an end point."]})
    if start.equals(end):
        raise ValidationFailed(field_errors={"route": ["The start and end points are the same."]})
    return LineString([start.coords[0], end.coords[0]])


def _checked_length(route: LineString, given: float | None) -> float:
    measured = round(geometry.geodesic_length_km(route), 3)
    if given is None:
        if measured < 0.1:
            raise ValidationFailed(field_errors={"length_km": [f"The route measures {measured} km; at least 0.1."]})
        return measured
    if abs(given - measured) > geometry.LENGTH_TOLERANCE * measured:
        raise ValidationFailed(
            field_errors={"length_km": [f"{given} km does not match the route, which measures {measured} km."]}
        )
    return given


def _unique_name(*, organization_id: Any, name: str, exclude: Any = None) -> None:
    clash = Pipeline.objects.filter(organization_id=organization_id, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"name": ["A pipeline with this name already exists."]})


def pipeline_create(*, actor: Any, organization_id: Any, data: dict[str, Any], request: Any = None) -> Pipeline:
    _require_write_role(actor=actor, organization_id=organization_id)
    route = _route_from(data, None)
    if route is None:
        raise ValidationFailed(field_errors={"route": ["A route (GeoJSON LineString) or start and end points."]})
    _unique_name(organization_id=organization_id, name=data["name"])
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    values["length_km"] = _checked_length(route, data.get("length_km"))
    with transaction.atomic():
        pipeline = Pipeline.objects.create(
            organization_id=organization_id,
            route=geometry.to_geojson(route),
            created_by=actor,
            **geometry.bbox_of(route),
            **values,
        )
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="Pipeline",
            resource_id=pipeline.pk,
            resource_name=pipeline.name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=organization_id,
            request=request,
        )
    return pipeline


def pipeline_update(*, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None) -> Pipeline:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    if "name" in values:
        _unique_name(organization_id=pipeline.organization_id, name=values["name"], exclude=pipeline.pk)
    route = _route_from(data, pipeline)
    if route is not None:
        values["route"] = geometry.to_geojson(route)
        values.update(geometry.bbox_of(route))
        values["length_km"] = _checked_length(route, data.get("length_km"))
    elif "length_km" in values:
        values["length_km"] = _checked_length(LineString(pipeline.route["coordinates"]), values["length_km"])
    changes = _changes(pipeline, values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(pipeline, field, value)
        pipeline.save()
        audit_record(
            actor=actor,
            action="UPDATE",
            resource_type="Pipeline",
            resource_id=pipeline.pk,
            resource_name=pipeline.name,
            changes=changes,
            organization_id=pipeline.organization_id,
            request=request,
        )
    return pipeline


def _delete(*, actor: Any, instance: Any, resource_type: str, name: str, request: Any) -> None:
    _require_write_role(actor=actor, organization_id=instance.organization_id)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="DELETE",
            resource_type=resource_type,
            resource_id=instance.pk,
            resource_name=name,
            organization_id=instance.organization_id,
            request=request,
        )
        instance.delete()


def pipeline_delete(*, actor: Any, pipeline: Pipeline, request: Any = None) -> None:
    _delete(actor=actor, instance=pipeline, resource_type="Pipeline", name=pipeline.name, request=request)


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
    elif "geometry" in data:
        values["geometry"] = None
    return values


def _unique_segment_number(*, pipeline: Pipeline, number: int, exclude: Any = None) -> None:
    clash = PipelineSegment.objects.filter(pipeline=pipeline, segment_number=number)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"segment_number": ["This pipeline already has a segment with it."]})


def segment_create(*, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None) -> PipelineSegment:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    values = _segment_values(data)
    _unique_segment_number(pipeline=pipeline, number=values["segment_number"])
    with transaction.atomic():
        segment = PipelineSegment.objects.create(organization_id=pipeline.organization_id, pipeline=pipeline, **values)
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="PipelineSegment",
            resource_id=segment.pk,
            resource_name=segment.segment_name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=pipeline.organization_id,
            request=request,
        )
    return segment


def segment_update(
    *, actor: Any, segment: PipelineSegment, data: dict[str, Any], request: Any = None
) -> PipelineSegment:
    _require_write_role(actor=actor, organization_id=segment.organization_id)
    values = _segment_values(data)
    if "segment_number" in values:
        _unique_segment_number(pipeline=segment.pipeline, number=values["segment_number"], exclude=segment.pk)
    changes = _changes(segment, values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(segment, field, value)
        segment.save()
        audit_record(
            actor=actor,
            action="UPDATE",
            resource_type="PipelineSegment",
            resource_id=segment.pk,
            resource_name=segment.segment_name,
            changes=changes,
            organization_id=segment.organization_id,
            request=request,
        )
    return segment


def segment_mark_monitored(*, actor: Any, segment: PipelineSegment, request: Any = None) -> PipelineSegment:
    return segment_update(actor=actor, segment=segment, data={"last_monitored": timezone.now()}, request=request)


def segment_delete(*, actor: Any, segment: PipelineSegment, request: Any = None) -> None:
    _delete(actor=actor, instance=segment, resource_type="PipelineSegment", name=segment.segment_name, request=request)


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


def _configuration_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {field: data[field] for field in CONFIGURATION_FIELDS if field in data}
    if "facility_points" in data:
        points = []
        for index, pair in enumerate(data["facility_points"] or []):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValidationFailed(field_errors={"facility_points": [f"Item {index}: expected [lon, lat]."]})
            point = geometry.point(pair[0], pair[1], field="facility_points")
            points.append([point.x, point.y])
        values["facility_points"] = points
    return values


def configuration_create(
    *, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None
) -> MonitoringConfiguration:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    if MonitoringConfiguration.objects.filter(pipeline=pipeline).exists():
        raise ValidationFailed(field_errors={"pipeline": ["This pipeline already has a configuration."]})
    values = _configuration_values(data)
    with transaction.atomic():
        configuration = MonitoringConfiguration.objects.create(
            organization_id=pipeline.organization_id, pipeline=pipeline, **values
        )
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="MonitoringConfiguration",
            resource_id=configuration.pk,
            resource_name=pipeline.name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=pipeline.organization_id,
            request=request,
        )
    return configuration


def configuration_update(
    *, actor: Any, configuration: MonitoringConfiguration, data: dict[str, Any], request: Any = None
) -> MonitoringConfiguration:
    _require_write_role(actor=actor, organization_id=configuration.organization_id)
    values = _configuration_values(data)
    changes = _changes(configuration, values)
    with transaction.atomic():
        for field, value in values.items():
            setattr(configuration, field, value)
        configuration.save()
        audit_record(
            actor=actor,
            action="UPDATE",
            resource_type="MonitoringConfiguration",
            resource_id=configuration.pk,
            resource_name=configuration.pipeline.name,
            changes=changes,
            organization_id=configuration.organization_id,
            request=request,
        )
    return configuration


def configuration_delete(*, actor: Any, configuration: MonitoringConfiguration, request: Any = None) -> None:
    _delete(
        actor=actor,
        instance=configuration,
        resource_type="MonitoringConfiguration",
        name=configuration.pipeline.name,
        request=request,
    )
