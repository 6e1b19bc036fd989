"""The feature vector of one product, computed from its raw measurements (never from a device's grade).

The ToF features come from the 8x8 distance matrix and the reference distance, the spectral ones from
the 10 AS7341 channels, through the same analysis the server grades with
(``custos.modules.quality.analysis``). A stored sample and a frame of the same measurements give the same
vector, so a model trained on stored samples answers the same for a frame sent to ``/api/ai/predict/``.
Every feature is intensity-free or in millimetres, so gain and integration time do not shift them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from custos.modules.quality.analysis import BANDS, analyse_spectral, analyse_tof, fuse
from custos.modules.quality.models import QualitySample
from custos.modules.quality.services.frames import Frame, reference_distance_mm

# The zone area only scales the volume, which is not a feature: any positive value gives the same vector.
_ZONE_AREA = 1.0

TOF_FEATURES = (
    "avg_height_mm",
    "height_std_mm",
    "min_height_mm",
    "max_height_mm",
    "occupied_zones",
    "surface_uniformity",
    "height_defects",
)
SPECTRAL_FEATURES = (
    *(f"share_{band}" for band in BANDS),
    "nir_ratio",
    "freshness_index",
    "fat_quality_index",
    "oxidation_index",
    "delta_e",
)
FEATURES: tuple[str, ...] = (*TOF_FEATURES, *SPECTRAL_FEATURES)


def measurement_features(distance: Any, channels: dict[str, int], *, reference_mm: float) -> dict[str, float]:
    """``{feature: value}`` of one 8x8 distance matrix (mm) and one set of AS7341 channels."""
    tof = analyse_tof(np.asarray(distance, dtype=float), reference_mm=reference_mm, zone_area_mm2=_ZONE_AREA)
    spectral = analyse_spectral(channels)
    metrics, spectral_metrics = tof.metrics, spectral.metrics
    values: dict[str, float] = {
        "avg_height_mm": metrics["avg_height_mm"],
        "height_std_mm": metrics["height_std_mm"],
        "min_height_mm": metrics["min_height_mm"],
        "max_height_mm": metrics["max_height_mm"],
        "occupied_zones": metrics["occupied_zones"],
        "surface_uniformity": metrics["surface_uniformity"],
        "height_defects": sum(1 for d in tof.defects if d.get("type") == "height_deviation"),
    }
    bands_total = float(sum(channels[band] for band in BANDS))
    shares = spectral_metrics.get("band_shares") or {}
    for band in BANDS:
        values[f"share_{band}"] = float(shares.get(band, 0.0))
    values["nir_ratio"] = round(channels.get("NIR", 0) / bands_total, 6) if bands_total else 0.0
    for name in ("freshness_index", "fat_quality_index", "oxidation_index"):
        values[name] = float(spectral_metrics.get(name) or 0.0)
    values["delta_e"] = float(spectral_metrics.get("delta_e") or 0.0)
    return {name: float(values[name]) for name in FEATURES}


def sample_features(sample: QualitySample) -> dict[str, float]:
    """The features of a stored sample, from its stored raw matrix and channels."""
    reference = (sample.tof_metrics or {}).get("reference_distance_mm") or reference_distance_mm()
    return measurement_features(sample.distance_matrix, sample.channels, reference_mm=float(reference))


def frame_features(frame: Frame) -> dict[str, float]:
    return measurement_features(frame.distance, frame.channels, reference_mm=frame.reference_mm)


def frame_grade(frame: Frame) -> str:
    """The server's grade of a frame's measurements (what storing it would have given)."""
    tof = analyse_tof(frame.distance, reference_mm=frame.reference_mm, zone_area_mm2=_ZONE_AREA)
    spectral = analyse_spectral(frame.channels)
    return fuse(tof.score, spectral.score)[1]


def vector(values: dict[str, float]) -> list[float]:
    return [values[name] for name in FEATURES]
