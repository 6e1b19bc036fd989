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


def _polygon(region: np.ndarray, transform) -> BaseGeometry:
    shapes = features.shapes(region.astype(np.uint8), mask=region, transform=transform, connectivity=8)
    return unary_union([shape(geometry) for geometry, _value in shapes])


def _regions(
    analysis_type: str,
    found: Candidates,
    window: Scene,
    corridor: Corridor,
    origin: tuple[int, int],
    min_area_px: int,
) -> Iterable[Detection]:
    mask = found.mask & corridor.mask
    labels, count = ndimage.label(mask, structure=_EIGHT_CONNECTED)
    if count == 0:
        return
    for index, slices in enumerate(ndimage.find_objects(labels), start=1):
        if slices is None:
            continue
        region = labels[slices] == index
        area_px = int(region.sum())
        if area_px < min_area_px:
            continue
        rows, cols = np.nonzero(region)
        row = float(rows.mean() + slices[0].start)
        col = float(cols.mean() + slices[1].start)
        score = found.score[slices][region]
        value = found.value[slices][region]
        distance = float(corridor.distance_m[slices][region].min())
        area_m2 = area_px * window.pixel_size_m**2
        sub_transform = window.transform @ Affine.translation(slices[1].start, slices[0].start)
        x, y = window.transform @ (col + 0.5, row + 0.5)
        yield Detection(
            analysis_type=analysis_type,
            confidence=confidence_of(float(score.mean()), area_px, min_area_px),
            severity=severity_of(area_m2, distance, corridor.buffer_m),
            centroid_px=(row + origin[0], col + origin[1]),
            location=Point(x, y),
            affected_area=_polygon(region, sub_transform),
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
                "bbox_px": [
                    slices[0].start + origin[0],
                    slices[1].start + origin[1],
                    slices[0].stop + origin[0],
                    slices[1].stop + origin[1],
                ],
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
    """Every anomaly region inside the corridor, strongest first. Deterministic for the same input."""
    rows, cols = corridor.window
    window = scene.crop(corridor.window)
    before = previous.crop(corridor.window) if previous is not None else None
    local_facilities = tuple(
        (r - rows.start, c - cols.start)
        for r, c in facilities
        if rows.start <= r < rows.stop and cols.start <= c < cols.stop
    )
    data = DetectorInput(window, corridor.mask, corridor.distance_m, before, local_facilities)
    detections: list[Detection] = []
    for analysis_type, detector in DETECTORS.items():
        if types is not None and analysis_type not in types:
            continue
        found = detector(data)
        if found is not None:
            detections.extend(_regions(analysis_type, found, window, corridor, (rows.start, cols.start), min_area_px))
    detections.sort(key=lambda d: (-d.confidence, d.analysis_type, d.centroid_px))
    return detections
