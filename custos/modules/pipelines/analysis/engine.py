"""``analyze_scene``: run every detector over a pipeline corridor and describe what it finds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from affine import Affine
from rasterio import features
from scipy import ndimage
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from custos.modules.pipelines.analysis.detectors import DETECTORS, Candidates, DetectorInput
from custos.modules.pipelines.analysis.scene import Corridor, Scene

MIN_AREA_PX = 6
_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
SEVERITIES = ("low", "medium", "high", "critical")


@dataclass
class Detection:
    analysis_type: str
    confidence: float
    severity: str
    centroid_px: tuple[float, float]  # (row, col) in the whole scene
    location: Point  # centroid in scene coordinates
    affected_area: BaseGeometry  # polygon in scene coordinates
    area_px: int
    area_m2: float
    distance_to_pipe_m: float
    statistics: dict[str, Any] = field(default_factory=dict)

    @property
    def description(self) -> str:
        label = self.analysis_type.replace("_", " ")
        return (
            f"{label.capitalize()}: {self.area_m2:,.0f} m2 at {self.distance_to_pipe_m:,.0f} m from the pipe, "
            f"{self.statistics['statistic']} {self.statistics['mean_value']:.3g} (confidence {self.confidence:.2f})"
        )


def confidence_of(mean_score: float, area_px: int, min_area_px: int = MIN_AREA_PX) -> float:
    """0.5 at the threshold with the smallest area counted; rises with the margin and with the area."""
    margin = max(mean_score - 1.0, 0.0)
    size = math.log(max(area_px, 1) / min_area_px)
    return round(min(max(0.5 + 0.5 * math.tanh(2.0 * margin + 0.5 * size), 0.0), 1.0), 4)


def severity_of(area_m2: float, distance_m: float, buffer_m: float) -> str:
    """Larger regions and regions closer to the pipe are more severe (area 60 %, proximity 40 %);
    two hectares or more counts as the largest area."""
    area_part = min(area_m2 / 20000.0, 1.0)
    proximity = 1.0 - min(distance_m / max(buffer_m, 1.0), 1.0)
    score = 0.6 * area_part + 0.4 * proximity
    return "critical" if score >= 0.75 else "high" if score >= 0.5 else "medium" if score >= 0.25 else "low"


def _polygon(region: np.ndarray, transform: Affine) -> BaseGeometry:
    shapes = features.shapes(region.astype(np.uint8), mask=region, transform=transform, connectivity=8)
    return unary_union([shape(geometry) for geometry, _value in shapes])


GROUP_TILE = 32


def _candidate_groups(rows: np.ndarray, cols: np.ndarray) -> Iterable[np.ndarray]:
    """Indices of candidate pixels grouped so no 8-connected region spans two groups: candidates are
    binned into 32 px tiles and touching tiles form a group (the tile grid is small, the scene never
    has to be materialised)."""
    tile_r, tile_c = rows // GROUP_TILE, cols // GROUP_TILE
    grid = np.zeros((int(tile_r.max()) + 1, int(tile_c.max()) + 1), dtype=bool)
    grid[tile_r, tile_c] = True
    labels, _count = ndimage.label(grid, structure=_EIGHT_CONNECTED)
    group = labels[tile_r, tile_c]
    order = np.argsort(group, kind="stable")
    boundaries = np.flatnonzero(np.diff(group[order])) + 1
    return np.split(order, boundaries)


def _regions(
    analysis_type: str,
    found: Candidates,
    corridor: Corridor,
    scene: Scene,
    min_area_px: int,
) -> Iterable[Detection]:
    picked = np.flatnonzero(found.mask)
    if picked.size < min_area_px:
        return
    rows, cols = corridor.rows[picked], corridor.cols[picked]
    for members in _candidate_groups(rows, cols):
        r0, c0 = int(rows[members].min()), int(cols[members].min())
        # corridor indices (int32: a corridor is far below 2**31 px) on the group's box, -1 elsewhere
        canvas = np.full((int(rows[members].max()) - r0 + 1, int(cols[members].max()) - c0 + 1), -1, np.int32)
        canvas[rows[members] - r0, cols[members] - c0] = picked[members]
        labels, _count = ndimage.label(canvas >= 0, structure=_EIGHT_CONNECTED)
        for index, slices in enumerate(ndimage.find_objects(labels), start=1):
            if slices is None:
                continue
            region = labels[slices] == index
            area_px = int(region.sum())
            if area_px < min_area_px:
                continue
            members_idx = canvas[slices][region]
            region_rows = corridor.rows[members_idx]
            region_cols = corridor.cols[members_idx]
            row, col = float(region_rows.mean()), float(region_cols.mean())
            score = found.score[members_idx]
            value = found.value[members_idx]
            distance = float(corridor.distance_m[members_idx].min())
            area_m2 = area_px * scene.pixel_size_m**2
            top, left = r0 + slices[0].start, c0 + slices[1].start
            x, y = scene.transform @ (col + 0.5, row + 0.5)
            yield Detection(
                analysis_type=analysis_type,
                confidence=confidence_of(float(score.mean()), area_px, min_area_px),
                severity=severity_of(area_m2, distance, corridor.buffer_m),
                centroid_px=(row, col),
                location=Point(x, y),
                affected_area=_polygon(region, scene.transform @ Affine.translation(left, top)),
                area_px=area_px,
                area_m2=area_m2,
                distance_to_pipe_m=distance,
                statistics={
                    "statistic": found.statistic,
                    "mean_value": float(value.mean()),
                    "max_value": float(value.max()),
                    "min_value": float(value.min()),
                    "mean_score": float(score.mean()),
                    "max_score": float(score.max()),
                    "area_px": area_px,
                    "bbox_px": [top, left, top + region.shape[0], left + region.shape[1]],
                },
            )


def analyze_scene(
    scene: Scene,
    corridor: Corridor,
    *,
    previous: Scene | None = None,
    facilities: Sequence[tuple[int, int]] = (),
    types: Sequence[str] | None = None,
    min_area_px: int = MIN_AREA_PX,
) -> list[Detection]:
    """Every anomaly region inside the corridor, strongest first. Deterministic for the same input.

    Only corridor pixels are read (gathered once per band) and every detector works on those 1-D arrays.
    """
    if scene.shape != corridor.shape or (previous is not None and previous.shape != scene.shape):
        raise ValueError("the scene, the previous scene and the corridor must share one pixel grid")
    data = DetectorInput(
        bands=scene.gather(corridor.rows, corridor.cols),
        previous=previous.gather(corridor.rows, corridor.cols) if previous is not None else None,
        distance_m=corridor.distance_m,
        rows=corridor.rows,
        cols=corridor.cols,
        facilities=tuple((int(r), int(c)) for r, c in facilities),
    )
    detections: list[Detection] = []
    for analysis_type, detector in DETECTORS.items():
        if types is not None and analysis_type not in types:
            continue
        found = detector(data)
        if found is not None:
            detections.extend(_regions(analysis_type, found, corridor, scene, min_area_px))
    detections.sort(key=lambda d: (-d.confidence, d.analysis_type, d.centroid_px))
    return detections
