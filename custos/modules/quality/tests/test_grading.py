"""Grading, fusion and the per-sensor analyses on hand-computed samples (docs/sqal-grading.md)."""

from __future__ import annotations

import numpy as np
import pytest

from custos.modules.quality.analysis import (
    analyse_spectral,
    analyse_tof,
    certification_hash,
    certification_payload,
    fuse,
    grade_for,
    qr_png,
)
from custos.modules.quality.tests.helpers import good_channels


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (1.0, "A+"),
        (0.85, "A+"),
        (0.8499, "A"),
        (0.75, "A"),
        (0.7499, "B"),
        (0.60, "B"),
        (0.5999, "C"),
        (0.45, "C"),
        (0.4499, "REJECT"),
        (0.0, "REJECT"),
    ],
)
def test_grade_bands_at_each_edge(value, grade):
    assert grade_for(value) == grade


@pytest.mark.parametrize(
    ("tof", "spectral", "fused", "grade"),
    [
        (0.85, 0.85, 0.85, "A+"),  # 0.6 x 0.85 + 0.4 x 0.85 = 0.85 exactly
        (0.9, 0.775, 0.85, "A+"),  # 0.54 + 0.31
        (0.8499, 0.8499, 0.8499, "A"),
        (1.0, 0.5, 0.8, "A"),  # 0.6 + 0.2
        (0.5, 1.0, 0.7, "B"),  # 0.3 + 0.4
        (0.45, 0.45, 0.45, "C"),  # C edge, neither sensor rejects
        (0.5, 0.375, 0.45, "REJECT"),  # fused 0.45 but the spectral sensor rejects (0.375)
        (0.45, 0.4499, 0.45, "REJECT"),  # fused is C but the spectral sensor rejects
        (0.4499, 1.0, 0.6699, "REJECT"),  # the ToF sensor rejects
    ],
)
def test_fusion_weights_and_rejection(tof, spectral, fused, grade):
    assert fuse(tof, spectral) == (fused, grade)


def test_tof_flat_product_at_target_is_perfect():
    result = analyse_tof(np.full((8, 8), 50.0), reference_mm=100.0, zone_area_mm2=100.0)
    assert result.score == 1.0
    assert result.grade == "A+"
    assert result.defects == []
    assert result.metrics["avg_height_mm"] == 50.0
    assert result.metrics["volume_mm3"] == 64 * 50.0 * 100.0
    assert result.metrics["occupied_zones"] == 64
    assert result.metrics["surface_uniformity"] == 1.0


def test_tof_hand_computed_with_a_deviating_zone():
    distance = np.full((8, 8), 56.0)  # 44 mm everywhere ...
    distance[3, 4] = 36.0  # ... but one zone of 64 mm
    result = analyse_tof(distance, reference_mm=100.0, zone_area_mm2=10.0)
    heights = np.full(64, 44.0)
    heights[0] = 64.0
    avg, std = heights.mean(), heights.std()  # 44.3125, 2.48...
    height_score = round(1 - abs(avg - 50) / 15, 4)
    uniformity = round(1 - std / avg, 4)
    # zone (3,4) deviates +19.69 mm (high); the others -0.31 mm (no defect): penalty 0.1
    assert result.defects == [
        {"type": "height_deviation", "severity": "high", "source": "tof", "pos": [3, 4], "deviation_mm": 19.69}
    ]
    assert result.score == round(0.6 * height_score + 0.4 * uniformity - 0.1, 4)
    assert result.metrics["max_height_mm"] == 64.0
    assert result.metrics["min_height_mm"] == 44.0
    assert result.metrics["volume_mm3"] == round(heights.sum() * 10.0, 2)


def test_tof_without_product_rejects():
    result = analyse_tof(np.full((8, 8), 100.0), reference_mm=100.0, zone_area_mm2=100.0)
    assert (result.score, result.grade) == (0.0, "REJECT")
    assert result.defects[0]["type"] == "no_product"


def test_spectral_reference_spectrum_is_perfect_and_maturity_is_f8_over_nir():
    result = analyse_spectral(good_channels())
    assert (result.score, result.grade, result.defects) == (1.0, "A+", [])
    assert result.metrics["freshness_index"] == 1.0
    assert result.metrics["delta_e"] == 0.0
    assert result.metrics["maturity_index"] == round(6000 / 5000, 5)


def test_spectral_oxidised_product_is_penalised():
    channels = {**good_channels(), "F7_630nm": 12000}  # red doubled against the reference
    result = analyse_spectral(channels)
    assert result.score < 0.6
    assert {d["type"] for d in result.defects} >= {"oxidation", "discoloration"}


def test_certification_hash_is_canonical_and_changes_with_the_grade():
    payload = certification_payload(
        organization_id="org",
        device_id="D",
        sample_id="S",
        timestamp="2026-12-01T10:00:00+00:00",
        tof_score=1.0,
        spectral_score=1.0,
        fusion_score=1.0,
        grade="A+",
        defects=[],
    )
    reordered = dict(reversed(list(payload.items())))
    assert certification_hash(payload) == certification_hash(reordered)
    assert len(certification_hash(payload)) == 64
    assert certification_hash({**payload, "grade": "A"}) != certification_hash(payload)
    assert qr_png(certification_hash(payload)).startswith(b"\x89PNG\r\n\x1a\n")


def test_spectral_without_signal_rejects():
    result = analyse_spectral({**dict.fromkeys(good_channels(), 0)})
    assert (result.score, result.grade) == (0.0, "REJECT")
    assert result.defects[0]["type"] == "no_signal"
