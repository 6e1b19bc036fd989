"""Anomaly detection on single readings.

Each reading becomes two features against its device's robust baseline: ``z`` (the value's distance
from the median in MAD-sigmas) and ``dz`` (the step from the previous reading, same unit), so devices of
one type share one model whatever their levels. With enough stored history an IsolationForest per
device type is trained on these features; a reading is flagged when the forest isolates it as an outlier
*and* ``|z| >= MODEL_Z_GATE`` (the forest always isolates its quota of ordinary points in clean data;
the gate keeps those out). With short history the rule is the robust z-score alone:
``|z| >= ROBUST_Z_THRESHOLD``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from custos.modules.twin.analytics.series import Baseline

FEATURES = ("z", "dz")
MIN_TRAIN_READINGS = 500  # per device type; fewer -> robust z-score
MAX_TRAIN_ROWS = 50_000
ROBUST_Z_THRESHOLD = 4.5
MODEL_Z_GATE = 4.5


def features(values: np.ndarray, baseline: Baseline) -> np.ndarray:
    z = baseline.z(values)
    dz = np.diff(z, prepend=z[:1]) if len(z) else z
    return np.column_stack([z, dz])


def train(rows: np.ndarray, *, seed: int = 0) -> Any:
    """An IsolationForest fitted on ``rows`` (subsampled deterministically beyond MAX_TRAIN_ROWS)."""
    from sklearn.ensemble import IsolationForest

    if len(rows) > MAX_TRAIN_ROWS:
        rows = rows[np.linspace(0, len(rows) - 1, MAX_TRAIN_ROWS).astype(int)]
    return IsolationForest(n_estimators=200, contamination="auto", random_state=seed).fit(rows)


@dataclass(frozen=True)
class Detection:
    flags: np.ndarray  # bool per reading
    z: np.ndarray
    scores: np.ndarray  # the forest's anomaly score (higher = more anomalous), or |z| without a model
    method: str


def detect(values: np.ndarray, baseline: Baseline, estimator: Any | None) -> Detection:
    rows = features(values, baseline)
    z = rows[:, 0] if len(rows) else np.empty(0)
    if len(rows) == 0:
        method = "isolation_forest" if estimator is not None else "robust_zscore"
        return Detection(np.zeros(0, dtype=bool), z, z, method)
    if estimator is None:
        return Detection(np.abs(z) >= ROBUST_Z_THRESHOLD, z, np.abs(z), "robust_zscore")
    outlier = estimator.predict(rows) == -1
    scores = -estimator.score_samples(rows)
    return Detection(outlier & (np.abs(z) >= MODEL_Z_GATE), z, scores, "isolation_forest")
