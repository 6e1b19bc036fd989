"""Deterministic synthetic scenes with injected anomalies of each type (for demos, tests and benchmarks).

A scene is a pair of images of the same corridor (previous and current) over a sparse-grass landscape
with low-frequency texture and independent sensor noise per image; anomalies are injected into the
current image with physically motivated signatures (see docs/pipeline-analysis.md). The same seed always
gives the same arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from scipy import ndimage

from custos.modules.pipelines.analysis.scene import Corridor, Scene, corridor_from_route

ANOMALY_TYPES = (
    "leak_detection",
    "vegetation_encroachment",
    "ground_subsidence",
    "construction_activity",
    "equipment_damage",
    "corrosion_detection",
    "thermal_anomaly",
    "weather_damage",
)

# Sparse grass on soil (reflectance).
BACKGROUND = {"blue": 0.05, "green": 0.08, "red": 0.10, "nir": 0.25, "swir16": 0.22, "swir22": 0.14}
ROOF = 0.40
DEBRIS = 0.15
NOISE = 0.004
TEXTURE = 0.006


@dataclass(frozen=True)
class Truth:
    analysis_type: str
    centroid_px: tuple[float, float]


@dataclass
class SyntheticCase:
    scene: Scene
    previous: Scene
    corridor: Corridor
    route_px: list[tuple[float, float]]
    facilities: list[tuple[int, int]]
    truths: list[Truth]


def _texture(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma=6)
    return field / (field.std() + 1e-9) * TEXTURE


def _ellipse(shape: tuple[int, int], center: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return ((rows - center[0]) / radii[0]) ** 2 + ((cols - center[1]) / radii[1]) ** 2 <= 1.0


def _gaussian(shape: tuple[int, int], center: tuple[float, float], sigma: float) -> np.ndarray:
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return np.exp(-((rows - center[0]) ** 2 + (cols - center[1]) ** 2) / (2 * sigma**2)).astype(np.float32)


def _point_on_route(route: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The point at fraction ``t`` of the route's length and the unit normal there."""
    segments = np.diff(route, axis=0)
    lengths = np.hypot(segments[:, 0], segments[:, 1])
    target = t * lengths.sum()
    index = int(np.searchsorted(np.cumsum(lengths), target))
    index = min(index, len(segments) - 1)
    before = lengths[:index].sum()
    direction = segments[index] / lengths[index]
    point = route[index] + direction * (target - before)
    return point, np.array([-direction[1], direction[0]])


def synthetic_case(
    seed: int,
    anomalies: tuple[str, ...] = (),
    *,
    size: int = 256,
    pixel_size_m: float = 10.0,
    buffer_m: float = 300.0,
    route_px: list[tuple[float, float]] | None = None,
    shape: tuple[int, int] | None = None,
    transform: Affine | None = None,
    crs: str = "EPSG:32633",
    landscape_seed: int | None = None,
) -> SyntheticCase:
    """A previous/current pair with ``anomalies`` injected along the route. By default a square scene of
    ``size`` px with a random 4-vertex route in UTM 33N; a real route (pixel coordinates), grid shape,
    geotransform and CRS may be given instead. ``landscape_seed`` fixes the ground itself (texture) apart
    from the date-dependent noise and anomalies, so successive dates of one corridor line up."""
    unknown = set(anomalies) - set(ANOMALY_TYPES)
    if unknown:
        raise ValueError(f"unknown anomaly types: {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    shape = shape or (size, size)
    if route_px is None:
        rows = rng.uniform(0.3, 0.7, 4) * shape[0]
        route = np.column_stack([rows, np.linspace(0, shape[1] - 1, 4)])
    else:
        route = np.asarray(route_px, dtype=np.float64)
    land = rng if landscape_seed is None else np.random.default_rng(landscape_seed)
    base = {name: np.full(shape, value, np.float32) + _texture(land, shape) for name, value in BACKGROUND.items()}
    base_thermal = np.full(shape, 295.0, np.float32) + _texture(land, shape) * 50

    facility_point, _ = _point_on_route(route, 0.5)
    facility = (round(facility_point[0]), round(facility_point[1]))
    roof = (slice(facility[0] - 3, facility[0] + 4), slice(facility[1] - 3, facility[1] + 4))
    for band in base.values():
        band[roof] = ROOF

    def image() -> dict[str, np.ndarray]:
        bands = {name: band + rng.normal(0, NOISE, shape).astype(np.float32) for name, band in base.items()}
        bands["thermal"] = base_thermal + rng.normal(0, 0.3, shape).astype(np.float32)
        bands["displacement"] = rng.normal(0, 1.0, shape).astype(np.float32)
        return bands

    previous_bands = image()
    current = image()
    truths: list[Truth] = []
    buffer_px = buffer_m / pixel_size_m
    spots = [t for t in np.linspace(0.1, 0.9, 9) if abs(t - 0.5) > 0.05]
    order = rng.permutation(len(spots))
    for slot, analysis_type in enumerate(anomalies):
        if analysis_type == "equipment_damage":
            damaged = (roof[0], slice(roof[1].start, roof[1].start + 3))
            for name in BACKGROUND:
                current[name][damaged] = DEBRIS + rng.normal(0, NOISE, (7, 3)).astype(np.float32)
            truths.append(Truth(analysis_type, (float(facility[0]), float(facility[1] - 2))))
            continue
        point, normal = _point_on_route(route, spots[order[slot % len(spots)]])
        radius = rng.uniform(3.0, 5.5, 2)
        offset = 0.0 if analysis_type == "corrosion_detection" else rng.uniform(-1, 1) * (buffer_px - 12)
        shifted = point + normal * offset
        center = (float(np.round(shifted[0])), float(np.round(shifted[1])))
        _inject(current, analysis_type, center, radius, rng)
        truths.append(Truth(analysis_type, center))

    transform = transform or Affine(pixel_size_m, 0, 500000.0, 0, -pixel_size_m, 4500000.0)
    scene = Scene(current, transform, crs, pixel_size_m)
    previous = Scene(previous_bands, transform, crs, pixel_size_m)
    corridor = corridor_from_route(shape, [tuple(p) for p in route], pixel_size_m=pixel_size_m, buffer_m=buffer_m)
    return SyntheticCase(scene, previous, corridor, [(float(p[0]), float(p[1])) for p in route], [facility], truths)


def _inject(
    bands: dict[str, np.ndarray],
    analysis_type: str,
    center: tuple[float, float],
    radius: np.ndarray,
    rng: np.random.Generator,
) -> None:
    shape = bands["red"].shape
    if analysis_type == "thermal_anomaly":
        bands["thermal"] += 8.0 * _gaussian(shape, center, float(radius.mean()) * 0.8)
        return
    if analysis_type == "ground_subsidence":
        bands["displacement"] -= 25.0 * _gaussian(shape, center, float(radius.mean()) * 0.9)
        return
    if analysis_type == "corrosion_detection":
        radius = np.minimum(radius, 2.5)
    blob = _ellipse(shape, center, (float(radius[0]), float(radius[1])))
    count = int(blob.sum())

    def put(name: str, value: float) -> None:
        bands[name][blob] = value + rng.normal(0, 0.004, count).astype(np.float32)

    if analysis_type == "leak_detection":
        for name in ("blue", "green", "red", "nir", "swir16"):
            bands[name][blob] *= 0.5
        bands["swir22"][blob] *= 0.35
    elif analysis_type == "vegetation_encroachment":
        put("red", 0.03)
        put("nir", 0.45)
        put("green", 0.09)
    elif analysis_type == "weather_damage":
        for name, value in {
            "blue": 0.06,
            "green": 0.07,
            "red": 0.04,
            "nir": 0.02,
            "swir16": 0.01,
            "swir22": 0.01,
        }.items():
            put(name, value)
    elif analysis_type == "construction_activity":
        for name, value in {
            "blue": 0.10,
            "green": 0.16,
            "red": 0.24,
            "nir": 0.24,
            "swir16": 0.42,
            "swir22": 0.33,
        }.items():
            put(name, value)
    elif analysis_type == "corrosion_detection":
        put("red", 0.22)
        put("green", 0.09)
        put("blue", 0.05)


def write_geotiff(scene: Scene, target: Any, *, describe: bool = True) -> None:
    """Write ``scene`` as a tiled GeoTIFF (band descriptions = band names when ``describe``)."""
    import rasterio

    names = list(scene.bands)
    height, width = scene.shape
    with rasterio.open(
        target,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=len(names),
        dtype="float32",
        crs=scene.crs,
        transform=scene.transform,
        tiled=True,
        blockxsize=256 if width >= 256 else 16,
        blockysize=256 if height >= 256 else 16,
    ) as dataset:
        for index, name in enumerate(names, start=1):
            dataset.write(scene.bands[name], index)
            if describe:
                dataset.set_band_description(index, name)


def lonlat_of(scene: Scene, points_px: list[tuple[float, float]]) -> list[list[float]]:
    """WGS84 [lon, lat] of pixel-centre coordinates (row, col) of ``scene``."""
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(scene.crs, "EPSG:4326", always_xy=True)
    out = []
    for row, col in points_px:
        x, y = scene.transform @ (col + 0.5, row + 0.5)
        lon, lat = to_wgs84.transform(x, y)
        out.append([round(lon, 8), round(lat, 8)])
    return out
