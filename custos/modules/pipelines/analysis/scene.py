"""Scenes (bands + georeference) and pipeline corridors in pixel space."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from affine import Affine
from scipy import ndimage

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

    def crop(self, window: tuple[slice, slice]) -> Scene:
        rows, cols = window
        return Scene(
            {name: band[rows, cols] for name, band in self.bands.items()},
            self.transform @ Affine.translation(cols.start, rows.start),
            self.crs,
            self.pixel_size_m,
        )


@dataclass
class Corridor:
    """Distance of every pixel of ``window`` to the pipe, and which of them lie within ``buffer_m``."""

    window: tuple[slice, slice]
    distance_m: np.ndarray
    buffer_m: float

    @property
    def mask(self) -> np.ndarray:
        return self.distance_m <= self.buffer_m


def _line_pixels(shape: tuple[int, int], route: Sequence[tuple[float, float]]) -> np.ndarray:
    """A boolean raster of the route polyline (vertices as (row, col) pixel coordinates)."""
    line = np.zeros(shape, dtype=bool)
    points = np.asarray(route, dtype=np.float64)
    for (r0, c0), (r1, c1) in itertools.pairwise(points):
        steps = int(np.ceil(max(abs(r1 - r0), abs(c1 - c0)) * 2)) + 1
        rows = np.rint(np.linspace(r0, r1, steps)).astype(int)
        cols = np.rint(np.linspace(c0, c1, steps)).astype(int)
        keep = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
        line[rows[keep], cols[keep]] = True
    return line


def corridor_from_route(
    shape: tuple[int, int], route: Sequence[tuple[float, float]], *, pixel_size_m: float, buffer_m: float
) -> Corridor:
    """The corridor around a route given in pixel coordinates; work is confined to its bounding window."""
    if len(route) < 2:
        raise ValueError("a route needs at least two vertices")
    pad = int(np.ceil(buffer_m / pixel_size_m)) + 1
    points = np.asarray(route, dtype=np.float64)
    r0 = max(int(np.floor(points[:, 0].min())) - pad, 0)
    r1 = min(int(np.ceil(points[:, 0].max())) + pad + 1, shape[0])
    c0 = max(int(np.floor(points[:, 1].min())) - pad, 0)
    c1 = min(int(np.ceil(points[:, 1].max())) + pad + 1, shape[1])
    if r0 >= r1 or c0 >= c1:
        raise ValueError("the route does not cross the scene")
    local = [(r - r0, c - c0) for r, c in points]
    line = _line_pixels((r1 - r0, c1 - c0), local)
    if not line.any():
        raise ValueError("the route does not cross the scene")
    distance = ndimage.distance_transform_edt(~line).astype(np.float32) * np.float32(pixel_size_m)
    return Corridor((slice(r0, r1), slice(c0, c1)), distance, float(buffer_m))
