"""Deterministic SQAL analysis: ToF, spectral, fusion and grading, certification (docs/sqal-grading.md)."""

from custos.modules.quality.analysis.grading import (
    GRADES,
    certification_hash,
    certification_payload,
    fuse,
    grade_for,
    qr_png,
    qr_png_base64,
)
from custos.modules.quality.analysis.spectral import BANDS, CHANNELS, analyse_spectral
from custos.modules.quality.analysis.tof import analyse_tof

__all__ = [
    "BANDS",
    "CHANNELS",
    "GRADES",
    "analyse_spectral",
    "analyse_tof",
    "certification_hash",
    "certification_payload",
    "fuse",
    "grade_for",
    "qr_png",
    "qr_png_base64",
]
