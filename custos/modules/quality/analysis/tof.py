"""Time-of-flight (VL53L8CH) analysis of one 8x8 distance matrix (docs/sqal-grading.md, "ToF")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from custos.modules.quality.analysis.grading import grade_for, score

GRID = 8
TARGET_HEIGHT_MM = 50.0
HEIGHT_TOLERANCE_MM = 15.0  # height score falls linearly to 0 at 15 mm from the target
OCCUPIED_MIN_HEIGHT_MM = 2.0  # a zone lower than this is the plate, not the product
DEVIATION_DEFECT_MM = 5.0  # a zone deviating more than this from the mean height is a defect
DEVIATION_HIGH_MM = 10.0
DEFECT_PENALTY = 0.1
MAX_DEFECT_PENALTY = 0.5


@dataclass(frozen=True)
class TofResult:
    score: float
    grade: str
    metrics: dict[str, Any]
    defects: list[dict[str, Any]] = field(default_factory=list)


def analyse_tof(distance: np.ndarray, *, reference_mm: float, zone_area_mm2: float) -> TofResult:
    """Heights are ``reference - distance`` (clipped at 0) per zone; see the module docs for the score."""
    heights = np.clip(reference_mm - distance.astype(float), 0.0, None)
    occupied = heights > OCCUPIED_MIN_HEIGHT_MM
    count = int(occupied.sum())
    if count == 0:
        metrics = {
            "reference_distance_mm": reference_mm,
            "occupied_zones": 0,
            "volume_mm3": 0.0,
            "avg_height_mm": 0.0,
            "min_height_mm": 0.0,
            "max_height_mm": 0.0,
            "height_std_mm": 0.0,
            "surface_uniformity": 0.0,
            "height_score": 0.0,
        }
        return TofResult(score=0.0, grade=grade_for(0.0), metrics=metrics, defects=[_defect("no_product", "high")])
    product = heights[occupied]
    avg = float(product.mean())
    std = float(product.std())
    uniformity = score(1.0 - std / avg) if avg > 0 else 0.0
    height_score = score(1.0 - abs(avg - TARGET_HEIGHT_MM) / HEIGHT_TOLERANCE_MM)
    defects: list[dict[str, Any]] = []
    for row, col in zip(*np.nonzero(occupied), strict=True):
        deviation = float(heights[row, col]) - avg
        if abs(deviation) > DEVIATION_DEFECT_MM:
            defects.append(
                _defect(
                    "height_deviation",
                    "high" if abs(deviation) > DEVIATION_HIGH_MM else "medium",
                    pos=[int(row), int(col)],
                    deviation_mm=round(deviation, 2),
                )
            )
    penalty = min(MAX_DEFECT_PENALTY, DEFECT_PENALTY * len(defects))
    tof_score = score(0.6 * height_score + 0.4 * uniformity - penalty)
    metrics = {
        "reference_distance_mm": reference_mm,
        "occupied_zones": count,
        "volume_mm3": round(float(product.sum()) * zone_area_mm2, 2),
        "avg_height_mm": round(avg, 3),
        "min_height_mm": round(float(product.min()), 3),
        "max_height_mm": round(float(product.max()), 3),
        "height_std_mm": round(std, 3),
        "surface_uniformity": uniformity,
        "height_score": height_score,
    }
    return TofResult(score=tof_score, grade=grade_for(tof_score), metrics=metrics, defects=defects)


def _defect(kind: str, severity: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "severity": severity, "source": "tof", **extra}
