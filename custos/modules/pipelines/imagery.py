"""Reading and checking GeoTIFF/COG imagery with rasterio: validation at upload, thumbnails, and the
corridor window of each band for analysis."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.errors import RasterioIOError
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines.analysis.scene import BAND_NAMES, DEFAULT_BAND_ORDER, Scene

MAX_DIMENSION = 30000
THUMBNAIL_PX = 256
# Band descriptions seen in the wild, mapped to our names.
ALIASES = {
    "b": "blue", "b02": "blue", "coastal_blue": "blue",
    "g": "green", "b03": "green",
    "r": "red", "b04": "red",
    "n": "nir", "b08": "nir", "nir08": "nir", "near_infrared": "nir",
    "swir1": "swir16", "b11": "swir16", "swir_1": "swir16",
    "swir2": "swir22", "b12": "swir22", "swir_2": "swir22",
    "lwir": "thermal", "lwir11": "thermal", "tir": "thermal", "st_b10": "thermal",
    "los_displacement": "displacement", "disp": "displacement",
}  # fmt: skip
SPECTRAL = {"blue", "green", "red", "nir", "swir16", "swir22"}


@dataclass(frozen=True)
class RasterInfo:
    bands: list[str]
    crs: str
    width: int
    height: int
    resolution_m: float
    bounds: tuple[float, float, float, float]  # WGS84 min_lon, min_lat, max_lon, max_lat
    driver: str


def _fail(message: str, field: str = "image_file") -> ValidationFailed:
    return ValidationFailed(field_errors={field: [message]})


def _band_name(description: str | None) -> str | None:
    if not description:
        return None
    key = description.strip().lower().replace(" ", "_").replace("-", "_")
    return key if key in BAND_NAMES else ALIASES.get(key)


def identify_bands(descriptions: Sequence[str | None], given: Sequence[str] | None) -> list[str]:
    """Band names in file order: from ``given`` (sent with the upload), else the GeoTIFF band
    descriptions, else the documented default order (blue, green, red, nir, swir16, swir22, thermal,
    displacement)."""
    count = len(descriptions)
    if given:
        names = [name.strip().lower() for name in given]
        unknown = [name for name in names if name not in BAND_NAMES]
        if unknown:
            raise _fail(f"Unknown band names {unknown}; known: {', '.join(BAND_NAMES)}.", "bands")
        if len(names) != count:
            raise _fail(f"{len(names)} band names given for a file with {count} bands.", "bands")
    else:
        described = [_band_name(d) for d in descriptions]
        names = described if all(described) else list(DEFAULT_BAND_ORDER[:count])
    if len(set(names)) != len(names):
        raise _fail(f"Each band may appear once; got {names}.", "bands")
    return names


def _pixel_size_m(dataset: Any) -> float:
    size = abs(dataset.transform.a)
    if dataset.crs.is_geographic:
        middle_lat = (dataset.bounds.bottom + dataset.bounds.top) / 2
        return size * 111_320.0 * math.cos(math.radians(middle_lat))
    return size * (dataset.crs.linear_units_factor[1] if dataset.crs.linear_units_factor else 1.0)


def inspect_upload(data: bytes, *, given_bands: Sequence[str] | None, max_bytes: int) -> RasterInfo:
    """Check an uploaded raster: size, a GeoTIFF, georeferenced, sane dimensions, known bands."""
    if len(data) > max_bytes:
        raise _fail(f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB.")
    if not (data[:4] in (b"II*\x00", b"MM\x00*") or data[:4] in (b"II+\x00", b"MM\x00+")):
        raise _fail("Not a GeoTIFF file (expected a TIFF or BigTIFF header).")
    try:
        with MemoryFile(data) as memory, memory.open() as dataset:
            if dataset.driver != "GTiff":
                raise _fail(f"Not a GeoTIFF file (read as {dataset.driver}).")
            if dataset.crs is None:
                raise _fail("The raster has no coordinate reference system.")
            if dataset.transform.is_identity:
                raise _fail("The raster has no georeferencing (identity geotransform).")
            if max(dataset.width, dataset.height) > MAX_DIMENSION or min(dataset.width, dataset.height) < 2:
                raise _fail(f"Raster dimensions {dataset.width}x{dataset.height} are out of range.")
            if dataset.count > len(BAND_NAMES):
                raise _fail(f"{dataset.count} bands; at most {len(BAND_NAMES)} are understood.")
            bands = identify_bands(dataset.descriptions, given_bands)
            bounds = transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds, densify_pts=21)
            return RasterInfo(
                bands=bands,
                crs=dataset.crs.to_string(),
                width=dataset.width,
                height=dataset.height,
                resolution_m=round(_pixel_size_m(dataset), 3),
                bounds=tuple(float(v) for v in bounds),
                driver=dataset.driver,
            )
    except RasterioIOError as exc:
        raise _fail(f"The raster cannot be read: {exc}") from None


def _stretch(band: np.ndarray) -> np.ndarray:
    valid = band[np.isfinite(band)]
    if valid.size == 0:
        return np.zeros(band.shape, dtype=np.uint8)
    low, high = np.percentile(valid, (2, 98))
    scaled = np.clip((band - low) / (high - low if high > low else 1.0), 0, 1)
    return (np.nan_to_num(scaled) * 255).astype(np.uint8)


def thumbnail_png(data: bytes, bands: Sequence[str]) -> bytes:
    """A PNG preview at most 256 px wide: true colour when red, green and blue exist, else the first band."""
    with MemoryFile(data) as memory, memory.open() as dataset:
        scale = max(dataset.width, dataset.height) / THUMBNAIL_PX
        shape = (
            (max(int(dataset.height / scale), 1), max(int(dataset.width / scale), 1))
            if scale > 1
            else (
                dataset.height,
                dataset.width,
            )
        )
        wanted = [bands.index(name) + 1 for name in ("red", "green", "blue") if name in bands]
        indexes = wanted if len(wanted) == 3 else [1]
        pixels = dataset.read(indexes, out_shape=(len(indexes), *shape), masked=True).astype(np.float32).filled(np.nan)
    channels = [_stretch(channel) for channel in pixels]
    image = Image.fromarray(np.dstack(channels) if len(channels) == 3 else channels[0])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _as_physical(name: str, values: np.ndarray) -> np.ndarray:
    """Reflectance bands stored as scaled integers (0-10000, as Sentinel-2 L2A) become 0-1."""
    values = values.astype(np.float32)
    if name in SPECTRAL and values.size and np.nanmax(values) > 1.5:
        values /= np.float32(10000.0)
    return values


@dataclass
class CorridorRead:
    scene: Scene
    route_px: list[tuple[float, float]]
    facilities_px: list[tuple[int, int]]
    window: Window


def read_corridor(
    path_or_file: Any,
    *,
    bands: Sequence[str],
    route_lonlat: Sequence[Sequence[float]],
    facilities_lonlat: Sequence[Sequence[float]],
    buffer_m: float,
) -> CorridorRead:
    """Only the window around the route (plus the buffer) of every band, as a ``Scene``; the route and
    facility points in that window's pixel coordinates (row, col of pixel centres)."""
    with rasterio.open(path_or_file) as dataset:
        to_raster = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True)
        xs, ys = to_raster.transform([p[0] for p in route_lonlat], [p[1] for p in route_lonlat])
        pixel_m = _pixel_size_m(dataset)
        pad = (buffer_m / pixel_m + 2) * abs(dataset.transform.a)
        window = from_bounds(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, dataset.transform)
        window = window.round_offsets().round_lengths().intersection(Window(0, 0, dataset.width, dataset.height))
        arrays = dataset.read(window=window, masked=False)
        transform = dataset.window_transform(window)
        scene = Scene(
            {name: _as_physical(name, arrays[index]) for index, name in enumerate(bands)},
            transform,
            dataset.crs.to_string(),
            pixel_m,
        )
        inverse = ~transform
        route_px = [tuple(reversed(inverse @ (x, y))) for x, y in zip(xs, ys, strict=True)]
        route_px = [(row - 0.5, col - 0.5) for row, col in route_px]
        facilities: list[tuple[int, int]] = []
        if facilities_lonlat:
            fx, fy = to_raster.transform([p[0] for p in facilities_lonlat], [p[1] for p in facilities_lonlat])
            for x, y in zip(fx, fy, strict=True):
                col, row = inverse @ (x, y)
                facilities.append((math.floor(row), math.floor(col)))
    return CorridorRead(scene, route_px, facilities, window)
