"""Reading and checking GeoTIFF/COG imagery with rasterio: validation at upload (with the thumbnail), and
the corridor pixels of each band for analysis.

Every read is bounded: an upload's declared size is checked against the configured limits before any
pixel is decoded, GDAL's block cache is capped while we read (its default, 5 % of RAM, is what a
compression bomb fills), the thumbnail is one decimated read, and analysis reads only the tiles of the
corridor window that hold corridor pixels, keeping those pixels alone.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import rasterio
import shapely
from django.conf import settings
from PIL import Image
from pyproj import CRS, Transformer
from rasterio.errors import RasterioError, WindowError
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines.analysis.scene import (
    BAND_NAMES,
    DEFAULT_BAND_ORDER,
    Corridor,
    CorridorScene,
    corridor_from_route,
)

THUMBNAIL_PX = 256
# Defaults of the upload limits; each is read from settings as ``PIPELINE_MAX_RASTER_<NAME>``.
DEFAULT_LIMITS = {
    "WIDTH": 30_000,  # px
    "HEIGHT": 30_000,  # px
    "PIXELS": 121_000_000,  # width x height: a Sentinel-2 tile (10980 x 10980) fits
    "BANDS": len(BAND_NAMES),
    "DECOMPRESSED_BYTES": 1024**3,  # width x height x the bytes of every band's data type
    "BLOCK_BYTES": 32 * 1024**2,  # one TIFF block (tile or strip) once decompressed
}
GDAL_READ_CACHE_MB = 32  # GDAL's block cache while we read (its default is 5 % of RAM)
READ_TILE_PX = 512  # analysis reads the corridor window in tiles of at most this many px a side
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
    native_bounds: tuple[float, float, float, float] | None = None  # left, bottom, right, top in ``crs``
    thumbnail: bytes = field(default=b"", repr=False)  # PNG, at most 256 px a side


class NoCorridorPixels(ValidationFailed, ValueError):
    """The image holds no pixel of the pipeline corridor. A ``ValidationFailed`` (400 on ``image_file``)
    at upload, and a ``ValueError`` for the analysis worker, which records it as the failure reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field_errors={"image_file": [message]})


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
        described = [name for name in map(_band_name, descriptions) if name]
        names = described if len(described) == count else list(DEFAULT_BAND_ORDER[:count])
    if len(set(names)) != len(names):
        raise _fail(f"Each band may appear once; got {names}.", "bands")
    return names


def _pixel_size_m(dataset: Any) -> float:
    size = abs(dataset.transform.a)
    if dataset.crs.is_geographic:
        middle_lat = (dataset.bounds.bottom + dataset.bounds.top) / 2
        return size * 111_320.0 * math.cos(math.radians(middle_lat))
    return size * (dataset.crs.linear_units_factor[1] if dataset.crs.linear_units_factor else 1.0)


# --- limits ---------------------------------------------------------------------------------------


def raster_limits() -> dict[str, int]:
    """The upload limits in force: ``settings.PIPELINE_MAX_RASTER_<NAME>`` or the default of each."""
    return {
        name: int(getattr(settings, f"PIPELINE_MAX_RASTER_{name}", default)) for name, default in DEFAULT_LIMITS.items()
    }


def _megabytes(count: float) -> str:
    return f"{count / 1_048_576:,.1f} MB"


def _check_declared_size(dataset: Any, limits: Mapping[str, int]) -> None:
    """Refuse what the header declares beyond the limits, before any pixel is decoded."""
    width, height, count = dataset.width, dataset.height, dataset.count
    if min(width, height) < 2:
        raise _fail(f"Raster dimensions {width}x{height} are out of range (at least 2 px a side).")
    if width > limits["WIDTH"]:
        raise _fail(f"The raster is {width:,} px wide; the maximum raster width is {limits['WIDTH']:,} px.")
    if height > limits["HEIGHT"]:
        raise _fail(f"The raster is {height:,} px high; the maximum raster height is {limits['HEIGHT']:,} px.")
    if width * height > limits["PIXELS"]:
        raise _fail(
            f"The raster has {width * height:,} px ({width:,}x{height:,}); "
            f"the maximum raster size is {limits['PIXELS']:,} px."
        )
    max_bands = min(limits["BANDS"], len(BAND_NAMES))
    if count > max_bands:
        raise _fail(f"The raster has {count} bands; the maximum is {max_bands} bands.")
    sizes = [np.dtype(dtype).itemsize for dtype in dataset.dtypes]
    decompressed = width * height * sum(sizes)
    if decompressed > limits["DECOMPRESSED_BYTES"]:
        raise _fail(
            f"The raster holds {_megabytes(decompressed)} once decompressed ({width:,}x{height:,} px, "
            f"{count} bands of {', '.join(sorted(set(dataset.dtypes)))}); the maximum decompressed raster "
            f"size is {_megabytes(limits['DECOMPRESSED_BYTES'])}."
        )
    pixel_interleaved = str(getattr(dataset.interleaving, "value", "")).upper() == "PIXEL"
    per_block = [rows * cols * size for (rows, cols), size in zip(dataset.block_shapes, sizes, strict=True)]
    block = sum(per_block) if pixel_interleaved else max(per_block)
    if block > limits["BLOCK_BYTES"]:
        rows, cols = dataset.block_shapes[0]
        raise _fail(
            f"One block of the raster ({cols:,}x{rows:,} px) holds {_megabytes(block)} once decompressed; "
            f"the maximum block size is {_megabytes(limits['BLOCK_BYTES'])} (write it tiled, e.g. 512x512)."
        )


# --- TIFF structure (truncation) ------------------------------------------------------------------

_OFFSET_TAGS = {273: 279, 324: 325}  # StripOffsets -> StripByteCounts, TileOffsets -> TileByteCounts
_TYPE_SIZES = {3: ("H", 2), 4: ("I", 4), 13: ("I", 4), 16: ("Q", 8), 18: ("Q", 8)}
_MAX_IFDS = 64


def _tiff_data_end(data: bytes) -> int | None:
    """The end of the last strip or tile of any image in the file (from the IFDs' offset and byte-count
    tables), or ``None`` when the structure is not one we can read (GDAL then has the last word)."""
    try:
        order = "<" if data[:2] == b"II" else ">"
        big = struct.unpack_from(order + "H", data, 2)[0] == 43
        head, entry_size, inline = (order + "Q", 20, 8) if big else (order + "I", 12, 4)
        offset = struct.unpack_from(head, data, 8 if big else 4)[0]
        end, seen = 0, set[int]()
        while offset and offset not in seen and len(seen) < _MAX_IFDS:
            seen.add(offset)
            count = struct.unpack_from(order + ("Q" if big else "H"), data, offset)[0]
            first = offset + (8 if big else 2)
            tables: dict[int, np.ndarray] = {}
            for index in range(min(count, 4096)):
                at = first + index * entry_size
                tag, kind = struct.unpack_from(order + "HH", data, at)
                if kind not in _TYPE_SIZES or not (tag in _OFFSET_TAGS or tag in _OFFSET_TAGS.values()):
                    continue
                number = struct.unpack_from(order + ("Q" if big else "I"), data, at + 4)[0]
                code, size = _TYPE_SIZES[kind]
                where = at + (12 if big else 8)
                if number * size > inline:
                    where = struct.unpack_from(head, data, where)[0]
                if where + number * size > len(data):
                    return len(data) + 1  # the table itself lies past the end
                tables[tag] = np.frombuffer(data, dtype=np.dtype(order + code), count=number, offset=where)
            for offsets_tag, counts_tag in _OFFSET_TAGS.items():
                offsets, counts = tables.get(offsets_tag), tables.get(counts_tag)
                if offsets is not None and counts is not None and offsets.size == counts.size:
                    present = (offsets > 0) & (counts > 0)  # sparse files leave absent blocks at 0
                    if present.any():
                        end = max(end, int((offsets[present].astype(np.uint64) + counts[present]).max()))
            offset = struct.unpack_from(head, data, first + count * entry_size)[0]
        return end
    except (struct.error, ValueError, OverflowError):
        return None


# --- upload ---------------------------------------------------------------------------------------


def _stretch(band: np.ndarray) -> np.ndarray:
    valid = band[np.isfinite(band)]
    if valid.size == 0:
        return np.zeros(band.shape, dtype=np.uint8)
    low, high = np.percentile(valid, (2, 98))
    scaled = np.clip((band - low) / (high - low if high > low else 1.0), 0, 1)
    return (np.nan_to_num(scaled) * 255).astype(np.uint8)


def _box(values: Sequence[float]) -> tuple[float, float, float, float]:
    """(west, south, east, north) as plain floats."""
    west, south, east, north = (float(v) for v in values)
    return west, south, east, north


def _thumbnail(dataset: Any, bands: Sequence[str]) -> bytes:
    """A PNG preview at most 256 px a side: true colour when red, green and blue exist, else the first
    band. One decimated read (GDAL uses an overview when the file has one), so its output is small and,
    under ``_bounded_reads``, so is GDAL's cache."""
    scale = max(dataset.width, dataset.height) / THUMBNAIL_PX
    shape = (
        (max(int(dataset.height / scale), 1), max(int(dataset.width / scale), 1))
        if scale > 1
        else (dataset.height, dataset.width)
    )
    wanted = [bands.index(name) + 1 for name in ("red", "green", "blue") if name in bands]
    indexes = wanted if len(wanted) == 3 else [1]
    pixels = dataset.read(indexes, out_shape=(len(indexes), *shape), masked=True).astype(np.float32).filled(np.nan)
    channels = [_stretch(channel) for channel in pixels]
    image = Image.fromarray(np.dstack(channels) if len(channels) == 3 else channels[0])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _bounded_reads() -> rasterio.Env:
    return rasterio.Env(GDAL_CACHEMAX=GDAL_READ_CACHE_MB)


def inspect_upload(
    data: bytes, *, given_bands: Sequence[str] | None, max_bytes: int, limits: Mapping[str, int] | None = None
) -> RasterInfo:
    """Check an uploaded raster and make its thumbnail: file size, a GeoTIFF, georeferenced, declared
    dimensions/bands/decompressed size within ``limits`` (``raster_limits()`` by default) before any pixel
    is read, intact (no strip or tile past the end of the file), known bands. Every pixel read at upload
    happens here; any read error is a ``ValidationFailed`` on ``image_file`` (a 400)."""
    limits = limits or raster_limits()
    if len(data) > max_bytes:
        raise _fail(f"The file is {len(data) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.0f} MB.")
    if not (data[:4] in (b"II*\x00", b"MM\x00*") or data[:4] in (b"II+\x00", b"MM\x00+")):
        raise _fail("Not a GeoTIFF file (expected a TIFF or BigTIFF header).")
    try:
        with _bounded_reads(), MemoryFile(data) as memory, memory.open() as dataset:
            if dataset.driver != "GTiff":
                raise _fail(f"Not a GeoTIFF file (read as {dataset.driver}).")
            if dataset.crs is None:
                raise _fail("The raster has no coordinate reference system.")
            if dataset.transform.is_identity:
                raise _fail("The raster has no georeferencing (identity geotransform).")
            _check_declared_size(dataset, limits)
            data_end = _tiff_data_end(data)
            if data_end is not None and data_end > len(data):
                raise _fail(
                    f"The file is truncated: it is {len(data):,} bytes but its image data runs to {data_end:,} bytes."
                )
            bands = identify_bands(dataset.descriptions, given_bands)
            bounds = transform_bounds(dataset.crs, "EPSG:4326", *dataset.bounds, densify_pts=21)
            thumbnail = _thumbnail(dataset, bands)
            return RasterInfo(
                bands=bands,
                crs=dataset.crs.to_string(),
                width=dataset.width,
                height=dataset.height,
                resolution_m=round(_pixel_size_m(dataset), 3),
                bounds=_box(bounds),
                driver=dataset.driver,
                native_bounds=_box(dataset.bounds),
                thumbnail=thumbnail,
            )
    except RasterioError as exc:
        raise _fail(f"The raster cannot be read: {exc}") from None


# --- corridor coverage ----------------------------------------------------------------------------


def _route_coordinates(route: Any) -> list[tuple[float, float]]:
    coordinates = route.get("coordinates", []) if isinstance(route, Mapping) else route
    return [(float(point[0]), float(point[1])) for point in coordinates]


def _local_metric_crs(lon: float, lat: float) -> str:
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def covers_corridor(info_or_bounds: RasterInfo | Sequence[float], route: Any, buffer_m: float) -> bool:
    """Whether an image reaches the pipeline corridor (the route, a GeoJSON LineString or a list of
    [lon, lat], plus ``buffer_m``). Given a ``RasterInfo`` in a projected CRS the test is exact in that CRS
    (the footprint of its pixel centres within ``buffer_m`` of the route, as ``read_corridor`` selects
    pixels); given WGS84 bounds (min_lon, min_lat, max_lon, max_lat) it is made in the UTM zone of the
    route. ``read_corridor`` may still find no pixel in the last pixel's width of that edge."""
    points = _route_coordinates(route)
    if len(points) < 2:
        return False
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    if isinstance(info_or_bounds, RasterInfo) and info_or_bounds.native_bounds is not None:
        crs = CRS.from_user_input(info_or_bounds.crs)
        if not crs.is_geographic:
            left, bottom, right, top = info_or_bounds.native_bounds
            half_x = (right - left) / info_or_bounds.width / 2
            half_y = (top - bottom) / info_or_bounds.height / 2
            footprint = shapely.box(left + half_x, bottom + half_y, right - half_x, top - half_y)
            xs, ys = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lons, lats)
            factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
            return shapely.LineString(list(zip(xs, ys, strict=True))).distance(footprint) * factor <= buffer_m
    bounds = info_or_bounds.bounds if isinstance(info_or_bounds, RasterInfo) else tuple(info_or_bounds)
    metric = _local_metric_crs(sum(lons) / len(lons), sum(lats) / len(lats))
    project = Transformer.from_crs("EPSG:4326", metric, always_xy=True).transform
    box = shapely.segmentize(shapely.box(*bounds), max_segment_length=abs(bounds[2] - bounds[0]) / 20 or 1.0)
    footprint = shapely.transform(box, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))
    xs, ys = project(lons, lats)
    return shapely.LineString(list(zip(xs, ys, strict=True))).distance(footprint) <= buffer_m


def require_corridor(info_or_bounds: RasterInfo | Sequence[float], route: Any, buffer_m: float) -> None:
    """``covers_corridor`` or a ``NoCorridorPixels`` (a 400 on ``image_file``)."""
    if not covers_corridor(info_or_bounds, route, buffer_m):
        raise NoCorridorPixels(
            f"The image does not cover the pipeline corridor (the route plus {buffer_m:,.0f} m); nothing in it "
            "could be analysed."
        )


# --- analysis -------------------------------------------------------------------------------------


def _to_physical(name: str, values: np.ndarray) -> None:
    """Reflectance bands stored as scaled integers (0-10000, as Sentinel-2 L2A) become 0-1, in place.
    Decided on the corridor pixels (the pixels analysed)."""
    if name in SPECTRAL and values.size and np.nanmax(values) > 1.5:
        values /= np.float32(10000.0)


def _tile_size(block: int) -> int:
    """Read tiles line up with the file's blocks: a multiple of the block up to ``READ_TILE_PX``."""
    return block * max(1, READ_TILE_PX // block) if 0 < block <= READ_TILE_PX else READ_TILE_PX


def _tiles(rows: np.ndarray, cols: np.ndarray, tile: tuple[int, int]) -> Iterator[np.ndarray]:
    """Indices of the pixels (absolute rows/cols) in each read tile, tiles in row-major order."""
    tile_rows, tile_cols = rows // tile[0], cols // tile[1]
    key = tile_rows * (int(tile_cols.max()) + 1) + tile_cols
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    starts = np.flatnonzero(np.diff(ordered)) + 1
    yield from np.split(order, starts)


def _read_pixels(dataset: Any, window: Window, corridor: Corridor, count: int) -> np.ndarray:
    """``count`` bands at the corridor's pixels (a ``count`` x n float32 array), read tile by tile: only the
    tiles holding corridor pixels, and in each only the box around them."""
    out = np.empty((count, corridor.size), dtype=np.float32)
    if corridor.size == 0:
        return out
    rows = corridor.rows.astype(np.int64) + int(window.row_off)
    cols = corridor.cols.astype(np.int64) + int(window.col_off)
    block_rows, block_cols = dataset.block_shapes[0]
    indexes = list(range(1, count + 1))
    for members in _tiles(rows, cols, (_tile_size(block_rows), _tile_size(block_cols))):
        r, c = rows[members], cols[members]
        r0, c0 = int(r.min()), int(c.min())
        box = Window(c0, r0, int(c.max()) - c0 + 1, int(r.max()) - r0 + 1)
        pixels = dataset.read(indexes, window=box, masked=False)
        out[:, members] = pixels[:, r - r0, c - c0]
    return out


@dataclass
class CorridorRead:
    scene: CorridorScene  # the corridor pixels of every band, on the grid of ``window``
    route_px: list[tuple[float, float]]
    facilities_px: list[tuple[int, int]]
    window: Window
    corridor: Corridor  # the corridor on that grid (the same as ``corridor_from_route`` gives)


def read_corridor(
    path_or_file: Any,
    *,
    bands: Sequence[str],
    route_lonlat: Sequence[Sequence[float]],
    facilities_lonlat: Sequence[Sequence[float]],
    buffer_m: float,
) -> CorridorRead:
    """The corridor (route plus buffer) of every band, on the grid of the window around it, as a
    ``CorridorScene`` holding the corridor pixels only; the route and facility points in that window's
    pixel coordinates (row, col of pixel centres). Memory is bounded by the corridor and one read tile,
    not by the file or the window. ``NoCorridorPixels`` when the image holds none of the corridor."""
    with _bounded_reads(), rasterio.open(path_or_file) as dataset:
        to_raster = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True)
        xs, ys = to_raster.transform([p[0] for p in route_lonlat], [p[1] for p in route_lonlat])
        pixel_m = _pixel_size_m(dataset)
        pad = (buffer_m / pixel_m + 2) * abs(dataset.transform.a)
        window = from_bounds(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, dataset.transform)
        try:
            window = window.round_offsets().round_lengths().intersection(Window(0, 0, dataset.width, dataset.height))
        except WindowError:
            raise NoCorridorPixels(
                f"The image does not reach the pipeline corridor (the route plus {buffer_m:,.0f} m)."
            ) from None
        transform = dataset.window_transform(window)
        inverse = ~transform
        route_px = [tuple(reversed(inverse @ (x, y))) for x, y in zip(xs, ys, strict=True)]
        route_px = [(row - 0.5, col - 0.5) for row, col in route_px]
        shape = (int(window.height), int(window.width))
        try:
            corridor = corridor_from_route(shape, route_px, pixel_size_m=pixel_m, buffer_m=buffer_m)
        except ValueError as exc:
            if "does not cross" not in str(exc):
                raise
            raise NoCorridorPixels(
                f"The image holds no pixel of the pipeline corridor (the route plus {buffer_m:,.0f} m)."
            ) from None
        pixels = _read_pixels(dataset, window, corridor, len(bands))
        values = {}
        for index, name in enumerate(bands):
            _to_physical(name, pixels[index])
            values[name] = pixels[index]
        scene = CorridorScene(
            values,
            transform,
            dataset.crs.to_string(),
            pixel_m,
            grid_shape=shape,
            rows=corridor.rows,
            cols=corridor.cols,
        )
        facilities: list[tuple[int, int]] = []
        if facilities_lonlat:
            fx, fy = to_raster.transform([p[0] for p in facilities_lonlat], [p[1] for p in facilities_lonlat])
            for x, y in zip(fx, fy, strict=True):
                col, row = inverse @ (x, y)
                facilities.append((math.floor(row), math.floor(col)))
    return CorridorRead(scene, route_px, facilities, window, corridor)
