"""Grade bands, fusion and certification (docs/sqal-grading.md)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson

TOF_WEIGHT = 0.6
SPECTRAL_WEIGHT = 0.4
# (lower bound, grade), best first; a score below the last bound is REJECT.
GRADE_BANDS: tuple[tuple[float, str], ...] = ((0.85, "A+"), (0.75, "A"), (0.60, "B"), (0.45, "C"))
REJECT = "REJECT"
GRADES = ("A+", "A", "B", "C", REJECT)
SCORE_DIGITS = 4  # every score is rounded to 4 decimals before it is graded


def score(value: float) -> float:
    """A score clamped to [0, 1] and rounded to ``SCORE_DIGITS`` decimals."""
    return round(min(1.0, max(0.0, float(value))), SCORE_DIGITS)


def grade_for(value: float) -> str:
    """The band of a score: A+ >= 0.85, A >= 0.75, B >= 0.60, C >= 0.45, else REJECT."""
    for bound, grade in GRADE_BANDS:
        if value >= bound:
            return grade
    return REJECT


def fuse(tof_score: float, spectral_score: float) -> tuple[float, str]:
    """The fused score ``0.6 x ToF + 0.4 x spectral`` and its grade; REJECT when either sensor rejects."""
    fused = score(TOF_WEIGHT * tof_score + SPECTRAL_WEIGHT * spectral_score)
    if grade_for(tof_score) == REJECT or grade_for(spectral_score) == REJECT:
        return fused, REJECT
    return fused, grade_for(fused)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8 (orjson): the bytes the certification hash is taken over."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def certification_payload(
    *,
    organization_id: Any,
    device_id: str,
    sample_id: str,
    timestamp: str,
    tof_score: float,
    spectral_score: float,
    fusion_score: float,
    grade: str,
    defects: list[dict[str, Any]],
    lot_abattage: str = "",
    eleveur: str = "",
    provenance: str = "",
) -> dict[str, Any]:
    return {
        "identity": {
            "organization_id": str(organization_id),
            "device_id": device_id,
            "sample_id": sample_id,
            "timestamp": timestamp,
            "lot_abattage": lot_abattage,
            "eleveur": eleveur,
            "provenance": provenance,
        },
        "scores": {"tof": tof_score, "spectral": spectral_score, "fusion": fusion_score},
        "grade": grade,
        "defects": defects,
    }


def certification_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``payload``."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """A QR code (error correction M) of ``text`` as PNG bytes (``analysis.qr``: segno's symbol, drawn faster)."""
    from custos.modules.quality.analysis.qr import qr_png as draw

    return draw(text, scale=scale)


def qr_png_base64(text: str) -> str:
    return base64.b64encode(qr_png(text)).decode("ascii")
