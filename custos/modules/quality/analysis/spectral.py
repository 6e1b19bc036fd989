"""Spectral (AS7341) analysis of one 11-channel reading (docs/sqal-grading.md, "Spectral")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from custos.modules.quality.analysis.grading import grade_for, score

BANDS = ("F1_415nm", "F2_445nm", "F3_480nm", "F4_515nm", "F5_555nm", "F6_590nm", "F7_630nm", "F8_680nm")
CHANNELS = (*BANDS, "Clear", "NIR")
CHANNEL_MAX = 65535
# The reference spectrum of a good product: the share of each band F1..F8 in their sum.
REFERENCE_SHARES = (0.06, 0.08, 0.10, 0.13, 0.15, 0.16, 0.17, 0.15)
FRESHNESS_SPAN = 0.5  # freshness reaches 0 at an L1 deviation of 0.5 from the reference shares
DELTA_E_SPAN = 20.0  # colour score reaches 0 at a CIE76 colour difference of 20
DELTA_E_DEFECT = 8.0
OXIDATION_DEFECT = 1.25  # oxidation index above 1.25 x the reference's
FRESHNESS_DEFECT = 0.5
WEIGHTS = {"freshness": 0.4, "fat_quality": 0.2, "oxidation": 0.2, "colour": 0.2}


@dataclass(frozen=True)
class SpectralResult:
    score: float
    grade: str
    metrics: dict[str, Any]
    defects: list[dict[str, Any]] = field(default_factory=list)


def _ratios(shares: np.ndarray) -> dict[str, float]:
    f1, f2, f3, _f4, f5, f6, f7, _f8 = (float(v) for v in shares)
    return {
        # red over green: browning of the surface
        "oxidation_index": f7 / f5 if f5 else 0.0,
        # yellow-orange over violet-blue: the colour of the fat
        "fat_quality_index": (f5 + f6) / (f1 + f2 + f3) if (f1 + f2 + f3) else 0.0,
    }


def _lab(shares: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of the colour the bands imply: R = F7, G = (F4+F5)/2, B = (F2+F3)/2, taken as linear
    sRGB after normalising to a sum of 1.5 (intensity-free chromaticity)."""
    rgb = np.array([shares[6], (shares[3] + shares[4]) / 2, (shares[1] + shares[2]) / 2], dtype=float)
    total = rgb.sum()
    rgb = np.clip(rgb / total * 1.5, 0.0, 1.0) if total > 0 else np.zeros(3)
    xyz = (
        np.array(
            [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]],
        )
        @ rgb
    )
    white = np.array([0.95047, 1.0, 1.08883])
    t = xyz / white
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


_REFERENCE = np.array(REFERENCE_SHARES, dtype=float)
_REFERENCE_RATIOS = _ratios(_REFERENCE)
_REFERENCE_LAB = _lab(_REFERENCE)


def analyse_spectral(channels: dict[str, int]) -> SpectralResult:
    bands = np.array([channels[name] for name in BANDS], dtype=float)
    total = float(bands.sum())
    if total <= 0:
        empty: dict[str, Any] = {
            "freshness_index": 0.0,
            "fat_quality_index": 0.0,
            "oxidation_index": 0.0,
            "delta_e": None,
        }
        return SpectralResult(0.0, grade_for(0.0), empty, [_defect("no_signal", "high")])
    shares = bands / total
    deviation = float(np.abs(shares - _REFERENCE).sum())
    freshness = score(1.0 - deviation / FRESHNESS_SPAN)
    ratios = _ratios(shares)
    oxidation_ref = _REFERENCE_RATIOS["oxidation_index"]
    fat_ref = _REFERENCE_RATIOS["fat_quality_index"]
    oxidation_score = score(1.0 - max(0.0, ratios["oxidation_index"] - oxidation_ref) / oxidation_ref)
    fat_quality = score(1.0 - abs(ratios["fat_quality_index"] - fat_ref) / fat_ref)
    lab = _lab(shares)
    delta_e = float(np.linalg.norm(lab - _REFERENCE_LAB))
    colour_score = score(1.0 - delta_e / DELTA_E_SPAN)
    spectral_score = score(
        WEIGHTS["freshness"] * freshness
        + WEIGHTS["fat_quality"] * fat_quality
        + WEIGHTS["oxidation"] * oxidation_score
        + WEIGHTS["colour"] * colour_score
    )
    defects: list[dict[str, Any]] = []
    if ratios["oxidation_index"] > OXIDATION_DEFECT * oxidation_ref:
        defects.append(_defect("oxidation", "medium", oxidation_index=round(ratios["oxidation_index"], 4)))
    if delta_e > DELTA_E_DEFECT:
        defects.append(_defect("discoloration", "medium", delta_e=round(delta_e, 3)))
    if freshness < FRESHNESS_DEFECT:
        defects.append(_defect("low_freshness", "high", freshness_index=freshness))
    saturated = [name for name in CHANNELS if channels.get(name) == CHANNEL_MAX]
    if saturated:
        defects.append(_defect("saturated_channels", "low", channels=saturated))
    nir = channels.get("NIR", 0)
    metrics: dict[str, Any] = {
        "band_shares": {name: round(float(v), 5) for name, v in zip(BANDS, shares, strict=True)},
        "reference_deviation": round(deviation, 5),
        "freshness_index": freshness,
        "fat_quality_index": round(ratios["fat_quality_index"], 5),
        "fat_quality_score": fat_quality,
        "oxidation_index": round(ratios["oxidation_index"], 5),
        "oxidation_score": oxidation_score,
        "maturity_index": round(channels["F8_680nm"] / nir, 5) if nir else None,
        "lab": [round(float(v), 3) for v in lab],
        "delta_e": round(delta_e, 3),
        "color_score": colour_score,
    }
    return SpectralResult(spectral_score, grade_for(spectral_score), metrics, defects)


def _defect(kind: str, severity: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "severity": severity, "source": "spectral", **extra}
