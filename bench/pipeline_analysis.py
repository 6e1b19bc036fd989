"""Speed of ``analyze_scene`` on a full Sentinel-2 tile, beside a bare NumPy NDVI over the same arrays.

A 10980 x 10980 scene with 4 bands (blue, green, red, NIR; float32, 1.9 GB) and a 4-vertex route across
it with a 300 m buffer at 10 m pixels; a few vegetation patches are injected so the region step runs.
Throughput is scene pixels per second (Mpx/s) for both, measured in the same run; the issue's target is
analysis >= 0.5 x the bare NDVI figure.

    .venv/bin/python bench/pipeline_analysis.py [--size 10980] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from affine import Affine

from bench.common import bench_line
from custos.modules.pipelines.analysis.engine import analyze_scene
from custos.modules.pipelines.analysis.scene import Scene, corridor_from_route


def build_scene(size: int) -> tuple[Scene, list[tuple[float, float]]]:
    rng = np.random.default_rng(42)
    bands = {
        name: (np.float32(level) + rng.standard_normal((size, size), dtype=np.float32) * np.float32(0.004))
        for name, level in (("blue", 0.05), ("green", 0.08), ("red", 0.10), ("nir", 0.25))
    }
    route = [(0.1 * size, 0.0), (0.35 * size, 0.4 * size), (0.6 * size, 0.65 * size), (0.9 * size, size - 1.0)]
    for k in range(1, 6):  # dense vegetation patches along the second segment
        r = int(0.1 * size + (0.35 - 0.1) * size * k / 6)
        c = int(0.4 * size * k / 6)
        bands["red"][r - 3 : r + 4, c - 3 : c + 4] = 0.03
        bands["nir"][r - 3 : r + 4, c - 3 : c + 4] = 0.45
    transform = Affine(10.0, 0, 300000.0, 0, -10.0, 5000000.0)
    return Scene(bands, transform, "EPSG:32633", 10.0), route


def timed(function, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10980)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scene, route = build_scene(args.size)
    megapixels = args.size * args.size / 1e6
    red, nir = scene.bands["red"], scene.bands["nir"]

    ndvi_s, _ = timed(lambda: (nir - red) / (nir + red), args.repeat)
    corridor_s, corridor = timed(
        lambda: corridor_from_route(scene.shape, route, pixel_size_m=10.0, buffer_m=300.0), args.repeat
    )
    analysis_s, found = timed(lambda: analyze_scene(scene, corridor), args.repeat)
    total_s = corridor_s + analysis_s

    print(
        f"scene {args.size}x{args.size} px x 4 bands ({megapixels:,.1f} Mpx), corridor {corridor.size:,} px "
        f"({100 * corridor.size / (args.size * args.size):.2f} %), best of {args.repeat}"
    )
    print(f"{'what':42s} {'seconds':>8s} {'Mpx/s':>10s} {'vs NDVI':>8s}")
    for label, seconds in (
        ("bare NumPy NDVI over the whole scene", ndvi_s),
        ("corridor (once per pipeline and grid)", corridor_s),
        ("analyze_scene (8 detectors, regions)", analysis_s),
        ("corridor + analyze_scene", total_s),
    ):
        rate = megapixels / seconds
        print(f"{label:42s} {seconds:8.3f} {rate:10,.1f} {rate / (megapixels / ndvi_s):8.2f}")
    print(f"detections: {len(found)} ({', '.join(sorted({d.analysis_type for d in found}))})")
    ndvi_rate = megapixels / ndvi_s  # the baseline: bare NumPy NDVI over the same scene
    print(bench_line("pipeline_analysis_bare_ndvi", ndvi_rate, "Mpx/s"))
    print(bench_line("pipeline_analysis_analyze_scene", megapixels / analysis_s, "Mpx/s", baseline=ndvi_rate))
    print(bench_line("pipeline_analysis_corridor_and_analysis", megapixels / total_s, "Mpx/s", baseline=ndvi_rate))
    print(bench_line("pipeline_analysis_detections", len(found)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
