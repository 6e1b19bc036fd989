"""Detection quality of the pipeline analysis engine on synthetic scenes.

Scenes: 5 per anomaly type (one anomaly each), 8 clean scenes and 5 scenes with three anomalies each,
all deterministic by seed. A detection counts as a true positive when it has the truth's type and its
centroid lies within 5 pixels of the injected anomaly's centre; the table reports precision, recall and
the centroid error of the matches (the issue asks for >= 0.9, >= 0.9 and <= 2 px).

    .venv/bin/python bench/pipeline_detection.py [--per-type 5] [--clean 8] [--size 256]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import bench_line
from custos.modules.pipelines.analysis.engine import analyze_scene
from custos.modules.pipelines.analysis.synthetic import ANOMALY_TYPES, synthetic_case

MATCH_RADIUS_PX = 5.0


def scenes(per_type: int, clean: int, mixed: int) -> list[tuple[int, tuple[str, ...]]]:
    cases: list[tuple[int, tuple[str, ...]]] = []
    seed = 1000
    for analysis_type in ANOMALY_TYPES:
        for _ in range(per_type):
            cases.append((seed, (analysis_type,)))
            seed += 1
    for _ in range(clean):
        cases.append((seed, ()))
        seed += 1
    for index in range(mixed):
        picked = tuple(ANOMALY_TYPES[(index * 3 + k) % len(ANOMALY_TYPES)] for k in range(3))
        cases.append((seed, picked))
        seed += 1
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-type", type=int, default=5)
    parser.add_argument("--clean", type=int, default=8)
    parser.add_argument("--mixed", type=int, default=5)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    truths_by_type: dict[str, int] = defaultdict(int)
    detected: dict[str, int] = defaultdict(int)
    true_positive: dict[str, int] = defaultdict(int)
    errors: dict[str, list[float]] = defaultdict(list)
    cases = scenes(args.per_type, args.clean, args.mixed)
    started = time.perf_counter()
    for seed, anomalies in cases:
        case = synthetic_case(seed, anomalies, size=args.size)
        found = analyze_scene(case.scene, case.corridor, previous=case.previous, facilities=case.facilities)
        for detection in found:
            detected[detection.analysis_type] += 1
        unmatched = list(found)
        for truth in case.truths:
            truths_by_type[truth.analysis_type] += 1
            best = None
            for detection in unmatched:
                if detection.analysis_type != truth.analysis_type:
                    continue
                error = math.dist(detection.centroid_px, truth.centroid_px)
                if error <= MATCH_RADIUS_PX and (best is None or error < best[0]):
                    best = (error, detection)
            if best is not None:
                unmatched.remove(best[1])
                true_positive[truth.analysis_type] += 1
                errors[truth.analysis_type].append(best[0])
    elapsed = time.perf_counter() - started

    print(f"{len(cases)} scenes of {args.size}x{args.size} px ({args.clean} clean), analysed in {elapsed:.1f} s")
    print(
        f"{'type':26s} {'truths':>6s} {'found':>6s} {'TP':>4s} {'precision':>9s} {'recall':>7s} "
        f"{'mean err px':>11s} {'max err px':>10s}"
    )
    failed = False
    figures = [bench_line("pipeline_detection_scenes_per_s", len(cases) / elapsed, "scenes/s")]
    for analysis_type in ANOMALY_TYPES:
        truths, found, tp = truths_by_type[analysis_type], detected[analysis_type], true_positive[analysis_type]
        precision = tp / found if found else 1.0
        recall = tp / truths if truths else 1.0
        errs = errors[analysis_type]
        mean_err = sum(errs) / len(errs) if errs else float("nan")
        max_err = max(errs) if errs else float("nan")
        ok = precision >= 0.9 and recall >= 0.9 and (not errs or max_err <= 2.0)
        failed = failed or not ok
        print(
            f"{analysis_type:26s} {truths:6d} {found:6d} {tp:4d} {precision:9.2f} {recall:7.2f} "
            f"{mean_err:11.2f} {max_err:10.2f}  {'ok' if ok else 'BELOW TARGET'}"
        )
        figures.append(bench_line(f"pipeline_detection_{analysis_type}_precision", precision))
        figures.append(bench_line(f"pipeline_detection_{analysis_type}_recall", recall))
        if errs:
            figures.append(bench_line(f"pipeline_detection_{analysis_type}_max_error", max_err, "px"))
    print("\n".join(figures))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
