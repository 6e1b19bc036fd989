"""Scenes (bands + georeference) and pipeline corridors in pixel space."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from affine import Affine

# Band names recognised in GeoTIFF band descriptions, and the order assumed for undescribed bands.
BAND_NAMES = ("blue", "green", "red", "nir", "swir16", "swir22", "thermal", "displacement")
DEFAULT_BAND_ORDER = BAND_NAMES


@dataclass
class Scene:
    """Reflectance bands (0-1, float32), ``thermal`` in kelvin, ``displacement`` in mm (negative: down)."""

    bands: dict[str, np.ndarray]
    transform: Affine = field(default_factory=Affine.identity)
    crs: str | None = None
    pixel_size_m: float = 10.0

    @property
    def shape(self) -> tuple[int, int]:
        return next(iter(self.bands.values())).shape

    def has(self, *names: str) -> bool:
        return all(name in self.bands for name in names)

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """The corridor pixels of every band, as 1-D arrays in the order of ``rows``/``cols``."""
        return {name: band[rows, cols] for name, band in self.bands.items()}


@dataclass
class CorridorScene(Scene):
    """A scene of which only the corridor pixels were read (``imagery.read_corridor``): every band is a
    1-D array in the order of ``rows``/``cols`` (a ``Corridor``'s pixels) on a grid of ``grid_shape``.
    ``gather`` gives those arrays back for that corridor, or any subset of its pixels; asking for a
    pixel that was not read is a ``ValueError``."""

    grid_shape: tuple[int, int] = (0, 0)
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    cols: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))

    @property
    def shape(self) -> tuple[int, int]:
        return self.grid_shape

    def gather(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        if (rows is self.rows and cols is self.cols) or (
            np.array_equal(rows, self.rows) and np.array_equal(cols, self.cols)
        ):
            return dict(self.bands)
        if np.size(rows) == 0:
            return {name: band[:0] for name, band in self.bands.items()}
        width = self.grid_shape[1]
        held = self.rows.astype(np.int64) * width + self.cols
        order = np.argsort(held, kind="stable")
        wanted = np.asarray(rows, dtype=np.int64) * width + np.asarray(cols)
        where = np.minimum(np.searchsorted(held[order], wanted), max(held.size - 1, 0))
        if held.size == 0 or not np.array_equal(held[order][where], wanted):
            raise ValueError("pixels outside the corridor that was read were asked for")
        positions = order[where]
        return {name: band[positions] for name, band in self.bands.items()}


@dataclass
class Corridor:
    """The pixels within ``buffer_m`` of the pipe, as coordinate lists, with their distance to it.

    Only the corridor is ever read or computed on: for a 10 km route across a 110 km scene that is a
    few percent of the pixels. Pixel (row, col) has its centre at coordinate (row, col).
    """

    shape: tuple[int, int]
    rows: np.ndarray  # int32
    cols: np.ndarray  # int32
    distance_m: np.ndarray  # float32, distance of each pixel centre to the route
    buffer_m: float

    @property
    def size(self) -> int:
        return int(self.rows.size)


TILE = 128


def _segment_distances(rows: np.ndarray, cols: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Distance from each (row, col) to the nearest of ``segments`` (k x 2 x 2 array of endpoints)."""
    best = np.full(rows.shape, np.inf, dtype=np.float32)
    for (r0, c0), (r1, c1) in segments:
        dr, dc = r1 - r0, c1 - c0
        length2 = dr * dr + dc * dc
        projection = ((rows - r0) * dr + (cols - c0) * dc) / length2 if length2 else np.zeros_like(best)
        t = np.clip(projection, 0.0, 1.0)
        d2 = (rows - (r0 + t * dr)) ** 2 + (cols - (c0 + t * dc)) ** 2
        np.minimum(best, np.sqrt(d2, dtype=np.float32), out=best)
    return best


def corridor_from_route(
    shape: tuple[int, int], route: Sequence[tuple[float, float]], *, pixel_size_m: float, buffer_m: float
) -> Corridor:
    """The corridor of a route given in pixel coordinates (row, col), computed tile by tile: only tiles
    within the buffer of the route are visited, and only the route segments near a tile are measured."""
    if len(route) < 2:
        raise ValueError("a route needs at least two vertices")
    points = np.asarray(route, dtype=np.float64)
    segments = np.stack([points[:-1], points[1:]], axis=1)
    buffer_px = buffer_m / pixel_size_m
    line = shapely.LineString(points)
    tiles_r = range(0, shape[0], TILE)
    tiles_c = range(0, shape[1], TILE)
    origins = np.array([(r, c) for r in tiles_r for c in tiles_c], dtype=np.float64)
    boxes = shapely.box(
        origins[:, 0] - 0.5, origins[:, 1] - 0.5, origins[:, 0] + TILE - 0.5, origins[:, 1] + TILE - 0.5
    )
    near = shapely.dwithin(boxes, line, buffer_px)
    seg_lines = shapely.linestrings(segments)
    parts_rows, parts_cols, parts_dist = [], [], []
    for (r0, c0), tile_box in zip(origins[near].astype(int), boxes[near], strict=True):
        close = segments[shapely.dwithin(seg_lines, tile_box, buffer_px)]
        rr, cc = np.mgrid[r0 : min(r0 + TILE, shape[0]), c0 : min(c0 + TILE, shape[1])]
        rr, cc = rr.ravel().astype(np.float32), cc.ravel().astype(np.float32)
        distance = _segment_distances(rr, cc, close)
        keep = distance <= buffer_px
        parts_rows.append(rr[keep].astype(np.int32))
        parts_cols.append(cc[keep].astype(np.int32))
        parts_dist.append(distance[keep] * np.float32(pixel_size_m))
    if not parts_rows or sum(part.size for part in parts_rows) == 0:
        raise ValueError("the route does not cross the scene")
    return Corridor(
        shape, np.concatenate(parts_rows), np.concatenate(parts_cols), np.concatenate(parts_dist), float(buffer_m)
    )
