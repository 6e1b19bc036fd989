"""Pipelines: a route (GeoJSON LineString, GeoJSON end points or the flat fields of the original client)
whose geodesic length is measured and checked."""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString

from custos.audit.writes import audited_create, audited_delete, audited_update
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import geometry
from custos.modules.pipelines.models import Pipeline

PIPELINE_FIELDS = ("name", "description", "length_km", "diameter_mm", "material", "status")


def _route_from(data: dict[str, Any], current: Pipeline | None) -> tuple[LineString | None, bool]:
    """(route, is_chord): the route from ``route`` (GeoJSON), ``start_point``/``end_point`` (GeoJSON) or the
    flat ``start_lat/start_lon/end_lat/end_lon`` fields; ``None`` when the data names no new route. A route
    given by its two ends only is a chord of the real line."""
    if data.get("route") is not None:
        return geometry.parse_geometry(data["route"], field="route", kind="LineString"), False
    start = end = None
    if data.get("start_point") is not None:
        start = geometry.parse_geometry(data["start_point"], field="start_point", kind="Point")
    if data.get("end_point") is not None:
        end = geometry.parse_geometry(data["end_point"], field="end_point", kind="Point")
    flat = [data.get(name) for name in ("start_lat", "start_lon", "end_lat", "end_lon")]
    given = [value for value in flat if value is not None]
    if given:
        if len(given) != len(flat):
            raise ValidationFailed(
                field_errors={"non_field_errors": ["start_lat, start_lon, end_lat and end_lon go together."]}
            )
        start_lat, start_lon, end_lat, end_lon = given
        start = geometry.point(start_lon, start_lat, field="start_lat")
        end = geometry.point(end_lon, end_lat, field="end_lat")
    if start is None and end is None:
        return None, False
    if current is not None:
        coords = list(LineString(current.route["coordinates"]).coords)
        start = start or geometry.point(*coords[0], field="start_point")
        end = end or geometry.point(*coords[-1], field="end_point")
    if start is None or end is None:
        raise ValidationFailed(field_errors={"route": ["Give the route, or both a start and an end point."]})
    if start.equals(end):
        raise ValidationFailed(field_errors={"route": ["The start and end points are the same."]})
    return LineString([start.coords[0], end.coords[0]]), True


def _checked_length(route: LineString, given: float | None, *, chord: bool = False) -> float:
    """The length to store: the measured one, or the given one when it agrees with the route (within the
    tolerance for a full line; at least the chord's length for a route given by its ends)."""
    measured = round(geometry.geodesic_length_km(route), 3)
    if given is None:
        if measured < 0.1:
            raise ValidationFailed(field_errors={"length_km": [f"The route measures {measured} km; at least 0.1."]})
        return measured
    if chord:
        if given + 1e-9 < measured:
            message = f"{given} km is shorter than the straight line between the ends ({measured} km)."
            raise ValidationFailed(field_errors={"length_km": [message]})
        return given
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


def pipeline_create(ctx: WriteContext, *, data: dict[str, Any]) -> Pipeline:
    route, chord = _route_from(data, None)
    if route is None:
        raise ValidationFailed(field_errors={"route": ["A route (GeoJSON LineString) or start and end points."]})
    _unique_name(organization_id=ctx.organization_id, name=data["name"])
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    values["length_km"] = _checked_length(route, data.get("length_km"), chord=chord)
    return audited_create(
        ctx,
        Pipeline,
        values={**values, "route": geometry.to_geojson(route), "created_by": ctx.user, **geometry.bbox_of(route)},
        audit_values=values,
    )


def pipeline_update(ctx: WriteContext, pipeline: Pipeline, *, data: dict[str, Any]) -> Pipeline:
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    if "name" in values:
        _unique_name(organization_id=pipeline.organization_id, name=values["name"], exclude=pipeline.pk)
    route, chord = _route_from(data, pipeline)
    if route is not None:
        values["route"] = geometry.to_geojson(route)
        values.update(geometry.bbox_of(route))
        values["length_km"] = _checked_length(route, data.get("length_km"), chord=chord)
    elif "length_km" in values:
        values["length_km"] = _checked_length(LineString(pipeline.route["coordinates"]), values["length_km"])
    return audited_update(ctx, pipeline, values=values)


def pipeline_delete(ctx: WriteContext, pipeline: Pipeline) -> None:
    audited_delete(ctx, pipeline)
