"""The analysis engine finds each injected anomaly where it was put, and nothing in clean scenes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from custos.modules.pipelines.analysis import indices
from custos.modules.pipelines.analysis.engine import analyze_scene, confidence_of, severity_of
from custos.modules.pipelines.analysis.scene import corridor_from_route
from custos.modules.pipelines.analysis.synthetic import ANOMALY_TYPES, synthetic_case


def _analyze(case, **kwargs):
    return analyze_scene(case.scene, case.corridor, previous=case.previous, facilities=case.facilities, **kwargs)


@pytest.mark.parametrize("analysis_type", ANOMALY_TYPES)
def test_each_type_is_found_once_at_its_place(analysis_type):
    case = synthetic_case(7, (analysis_type,), size=160)
    found = _analyze(case)
    assert [d.analysis_type for d in found] == [analysis_type]
    detection, truth = found[0], case.truths[0]
    assert math.dist(detection.centroid_px, truth.centroid_px) <= 2.0
    assert 0.5 <= detection.confidence <= 1.0
    assert detection.severity in {"low", "medium", "high", "critical"}
    assert detection.affected_area.geom_type in {"Polygon", "MultiPolygon"}
    assert detection.affected_area.area == pytest.approx(detection.area_m2)
    assert (
        detection.affected_area.contains(detection.location)
        or detection.affected_area.distance(detection.location) < 10.0
    )
    assert detection.statistics["area_px"] == detection.area_px


def test_clean_scenes_yield_nothing():
    for seed in range(5):
        assert _analyze(synthetic_case(seed, (), size=160)) == []


def test_results_are_deterministic():
    first = _analyze(synthetic_case(3, ("leak_detection", "thermal_anomaly"), size=160))
    second = _analyze(synthetic_case(3, ("leak_detection", "thermal_anomaly"), size=160))
    assert [(d.analysis_type, d.confidence, d.centroid_px, d.area_px) for d in first] == [
        (d.analysis_type, d.confidence, d.centroid_px, d.area_px) for d in second
    ]


def test_change_detectors_need_a_previous_image():
    case = synthetic_case(11, ("construction_activity", "weather_damage", "equipment_damage"), size=160)
    assert {d.analysis_type for d in _analyze(case)} == {
        "construction_activity",
        "weather_damage",
        "equipment_damage",
    }
    alone = analyze_scene(case.scene, case.corridor, facilities=case.facilities)
    assert [d.analysis_type for d in alone if d.analysis_type in {"construction_activity", "weather_damage"}] == []


def test_anomalies_outside_the_corridor_are_ignored():
    case = synthetic_case(5, ("thermal_anomaly",), size=160)
    narrow = corridor_from_route(
        case.scene.shape, [(0.0, 0.0), (0.0, 159.0)], pixel_size_m=case.scene.pixel_size_m, buffer_m=50.0
    )
    truth_row = case.truths[0].centroid_px[0]
    if truth_row < 15:
        pytest.skip("the seed put the anomaly near the top edge")
    assert analyze_scene(case.scene, narrow, previous=case.previous) == []


def test_a_scene_without_the_needed_bands_skips_those_detectors():
    case = synthetic_case(2, ("thermal_anomaly",), size=160)
    del case.scene.bands["thermal"]
    assert _analyze(case) == []


def test_world_coordinates_follow_the_geotransform():
    case = synthetic_case(4, ("vegetation_encroachment",), size=160)
    detection = _analyze(case)[0]
    row, col = detection.centroid_px
    assert detection.location.x == pytest.approx(500000.0 + (col + 0.5) * 10.0)
    assert detection.location.y == pytest.approx(4500000.0 - (row + 0.5) * 10.0)


def test_scoring_rules():
    assert confidence_of(1.0, 6) == 0.5
    assert confidence_of(2.0, 6) > confidence_of(1.2, 6) > 0.5
    assert confidence_of(1.2, 60) > confidence_of(1.2, 6)
    assert severity_of(20000.0, 0.0, 300.0) == "critical"
    assert severity_of(100.0, 290.0, 300.0) == "low"
    assert severity_of(8000.0, 150.0, 300.0) == "medium"


def test_indices_handle_zero_denominators():
    zero = np.zeros((2, 2), np.float32)
    assert (indices.ndvi(zero, zero) == 0).all()
    assert (indices.iron_oxide_ratio(zero + 0.2, zero) == 0).all()
    assert indices.ndvi(np.float32([[0.45]]), np.float32([[0.03]]))[0, 0] == pytest.approx(0.875)


def test_a_route_outside_the_scene_is_rejected():
    with pytest.raises(ValueError, match="does not cross the scene"):
        corridor_from_route((50, 50), [(500.0, 500.0), (600.0, 600.0)], pixel_size_m=10.0, buffer_m=30.0)
    with pytest.raises(ValueError, match="at least two vertices"):
        corridor_from_route((50, 50), [(5.0, 5.0)], pixel_size_m=10.0, buffer_m=30.0)
