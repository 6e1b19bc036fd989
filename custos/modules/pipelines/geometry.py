"""GeoJSON in and out (WGS84 longitude/latitude), validated with shapely; lengths measured on the ellipsoid."""

from __future__ import annotations

from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon, mapping, shape

from custos.kernel.errors import ValidationFailed

_GEOD = Geod(ellps="WGS84")
LENGTH_TOLERANCE = 0.05  # a given length may differ from the measured route by 5 %


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(field_errors={field: [message]})


def _check_coordinates(geometry: Any, field: str) -> None:
    coords = shapely.get_coordinates(geometry)
    if coords.size == 0:
        raise _fail(field, "The geometry has no coordinates.")
    lon, lat = coords[:, 0], coords[:, 1]
    if (lon < -180).any() or (lon > 180).any():
        raise _fail(field, "Longitude must be between -180 and 180.")
    if (lat < -90).any() or (lat > 90).any():
        raise _fail(field, "Latitude must be between -90 and 90.")


def parse_geometry(value: Any, *, field: str, kind: str) -> Any:
    """A shapely geometry from a GeoJSON object of type ``kind``; a clear field error otherwise."""
    if not isinstance(value, dict) or "type" not in value or "coordinates" not in value:
        raise _fail(field, f"Expected a GeoJSON {kind} object with 'type' and 'coordinates'.")
    if value["type"] != kind:
        raise _fail(field, f"Expected a GeoJSON {kind}, got {value['type']!r}.")
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise _fail(field, f"Invalid {kind} coordinates: {exc}") from None
    if geometry.is_empty:
        raise _fail(field, f"The {kind} is empty.")
    _check_coordinates(geometry, field)
    if not geometry.is_valid:
        raise _fail(field, f"The {kind} is not valid: {shapely.is_valid_reason(geometry)}.")
    if kind == "LineString" and len(geometry.coords) < 2:
        raise _fail(field, "A LineString needs at least two distinct positions.")
    return geometry


def point(lon: float, lat: float, *, field: str) -> Point:
    geometry = Point(float(lon), float(lat))
    _check_coordinates(geometry, field)
    return geometry


def geodesic_length_km(line: LineString) -> float:
    return float(_GEOD.geometry_length(line)) / 1000.0


def to_geojson(geometry: Any) -> dict[str, Any] | None:
    if geometry is None:
        return None
    data = mapping(geometry)
    return {"type": data["type"], "coordinates": _lists(data["coordinates"])}


def _lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def bbox_of(geometry: Any) -> dict[str, float]:
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return {"min_lon": min_lon, "min_lat": min_lat, "max_lon": max_lon, "max_lat": max_lat}


def bbox_polygon(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Polygon:
    return shapely.box(min_lon, min_lat, max_lon, max_lat)


def bbox_geojson(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any] | None:
    """``to_geojson(bbox_polygon(...))`` without the shapely round trip (a list page presents one per row):
    shapely's counter-clockwise ring from (max_lon, min_lat), the values as floats; ``None`` where shapely
    makes no box (a NaN coordinate)."""
    x0, y0, x1, y1 = float(min_lon), float(min_lat), float(max_lon), float(max_lat)
    if x0 != x0 or y0 != y0 or x1 != x1 or y1 != y1:  # NaN
        return None
    return {"type": "Polygon", "coordinates": [[[x1, y0], [x1, y1], [x0, y1], [x0, y0], [x1, y0]]]}


def parse_bbox(raw: str, *, field: str = "in_bbox") -> tuple[float, float, float, float]:
    """``min_lon,min_lat,max_lon,max_lat`` as four floats in range, min below max."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise _fail(field, "Expected four numbers: min_lon,min_lat,max_lon,max_lat.")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError:
        raise _fail(field, "Expected four numbers: min_lon,min_lat,max_lon,max_lat.") from None
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise _fail(field, "The box must lie within -180..180, -90..90 with min below max.")
    return min_lon, min_lat, max_lon, max_lat
