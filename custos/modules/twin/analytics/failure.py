"""Failure prediction from windowed features.

For a window ending at ``t`` the features are ``mean``, ``std``, ``slope`` (per hour) and ``max`` of the
device's robust z-scores over ``(t - WINDOW_HOURS, t]``. A training window is positive when a recorded
failure of that device falls in ``(t, t + HORIZON_HOURS]``; windows that contain a failure are left out
(the device is down or being repaired, not heading to a failure). The classifier is a random forest
with balanced class weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FEATURES = ("mean", "std", "slope", "max")
WINDOW_HOURS = 6
HORIZON_HOURS = 24
STEP_SECONDS = 3600
MIN_READINGS_PER_WINDOW = 3
HIGH_RISK = 0.5


def window_ends(start: float, end: float, *, step: int = STEP_SECONDS) -> np.ndarray:
    """Window ends on the ``step`` grid within ``[start, end]``, newest at ``end``'s grid point."""
    last = np.floor(end / step) * step
    first = np.ceil(start / step) * step
    if last < first:
        return np.empty(0)
    return np.arange(first, last + 1, step, dtype=float)


def window_features(
    t: np.ndarray, z: np.ndarray, ends: np.ndarray, *, window_hours: float = WINDOW_HOURS
) -> tuple[np.ndarray, np.ndarray]:
    """(features per end, mask of ends whose window has enough readings)."""
    span = window_hours * 3600
    out = np.zeros((len(ends), len(FEATURES)))
    valid = np.zeros(len(ends), dtype=bool)
    lows = np.searchsorted(t, ends - span, side="right")
    highs = np.searchsorted(t, ends, side="right")
    for index, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
        if hi - lo < MIN_READINGS_PER_WINDOW:
            continue
        hours = (t[lo:hi] - ends[index]) / 3600.0
        values = z[lo:hi]
        centred = hours - hours.mean()
        denominator = float(np.dot(centred, centred))
        slope = float(np.dot(centred, values - values.mean()) / denominator) if denominator > 0 else 0.0
        out[index] = (values.mean(), values.std(), slope, values.max())
        valid[index] = True
    return out, valid


def labels(
    ends: np.ndarray, failures: Sequence[float], *, window_hours: float = WINDOW_HOURS
) -> tuple[np.ndarray, np.ndarray]:
    """(label per end: a failure within the horizon, mask of ends kept: no failure inside the window)."""
    horizon = HORIZON_HOURS * 3600
    span = window_hours * 3600
    positive = np.zeros(len(ends), dtype=bool)
    keep = np.ones(len(ends), dtype=bool)
    for moment in failures:
        positive |= (ends < moment) & (moment <= ends + horizon)
        keep &= ~((ends - span < moment) & (moment <= ends))
    return positive, keep


def train(X: np.ndarray, y: np.ndarray, *, seed: int = 0) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(
        n_estimators=200, min_samples_leaf=2, class_weight="balanced_subsample", random_state=seed, n_jobs=1
    ).fit(X, y)


def probabilities(estimator: Any, X: np.ndarray) -> np.ndarray:
    if len(X) == 0:
        return np.empty(0)
    classes = list(estimator.classes_)
    if 1 not in classes and True not in classes:
        return np.zeros(len(X))
    column = classes.index(1) if 1 in classes else classes.index(True)
    return estimator.predict_proba(X)[:, column]
