"""Supervised classifiers with scikit-learn: the algorithms offered, their parameters (validated, bounded),
and one deterministic fit on a stratified held-out split with its metrics.

Everything is seeded with ``RANDOM_STATE``: the same rows give the same split, the same model and the same
figures. Parameters are bounded so a training run's time and memory follow the data asked for.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from custos.kernel.errors import ValidationFailed

RANDOM_STATE = 42
TEST_SIZE_DEFAULT = 0.25
TEST_SIZE_MIN = 0.1
TEST_SIZE_MAX = 0.5
MAX_TRAINING_ROWS = 20_000


@dataclass(frozen=True)
class Param:
    kind: type  # int, float or str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    nullable: bool = False

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise ValueError(f"{name} may not be null.")
        if self.choices:
            if value not in self.choices:
                raise ValueError(f"{name} must be one of {', '.join(map(str, self.choices))}.")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number.")
        if self.kind is int:
            if value != int(value):
                raise ValueError(f"{name} must be an integer.")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite.")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"{name} must be between {self.low:g} and {self.high:g}.")
        return value


def _random_forest(params: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(random_state=RANDOM_STATE, n_jobs=1, **params)


def _gradient_boosting(params: dict[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(random_state=RANDOM_STATE, **params)


def _logistic_regression(params: dict[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(random_state=RANDOM_STATE, **params))


@dataclass(frozen=True)
class Algorithm:
    name: str
    build: Callable[[dict[str, Any]], Any]
    params: dict[str, Param]


_CLASS_WEIGHT = Param(str, None, choices=(None, "balanced"), nullable=True)

ALGORITHMS: dict[str, Algorithm] = {
    "random_forest": Algorithm(
        "random_forest",
        _random_forest,
        {
            "n_estimators": Param(int, 100, 1, 300),
            "max_depth": Param(int, 16, 1, 32, nullable=True),
            "min_samples_leaf": Param(int, 1, 1, 100),
            "class_weight": _CLASS_WEIGHT,
        },
    ),
    "gradient_boosting": Algorithm(
        "gradient_boosting",
        _gradient_boosting,
        {
            "n_estimators": Param(int, 100, 1, 300),
            "learning_rate": Param(float, 0.1, 0.001, 1.0),
            "max_depth": Param(int, 3, 1, 8),
        },
    ),
    "logistic_regression": Algorithm(
        "logistic_regression",
        _logistic_regression,
        {
            "C": Param(float, 1.0, 1e-4, 1e4),
            "max_iter": Param(int, 1000, 10, 5000),
            "class_weight": _CLASS_WEIGHT,
        },
    ),
}
DEFAULT_ALGORITHM = "random_forest"


def algorithm_parameters(algorithm: str, given: dict[str, Any] | None, *, field: str = "parameters") -> dict[str, Any]:
    """The full parameter set of ``algorithm``: defaults overridden by ``given`` (validated), or
    ``ValidationFailed`` naming each bad entry."""
    spec = ALGORITHMS.get(algorithm)
    if spec is None:
        raise ValidationFailed(field_errors={"algorithm": [f"One of {', '.join(sorted(ALGORITHMS))}."]})
    given = given or {}
    errors: dict[str, list[str]] = {}
    values = {name: param.default for name, param in spec.params.items()}
    for name, value in given.items():
        param = spec.params.get(name)
        if param is None:
            errors[f"{field}.{name}"] = [f"Unknown parameter of {algorithm}: one of {', '.join(spec.params)}."]
            continue
        try:
            values[name] = param.check(name, value)
        except ValueError as exc:
            errors[f"{field}.{name}"] = [str(exc)]
    if errors:
        raise ValidationFailed(field_errors=errors)
    return values


def build_estimator(algorithm: str, parameters: dict[str, Any]) -> Any:
    return ALGORITHMS[algorithm].build(algorithm_parameters(algorithm, parameters))


def split_problem(class_counts: dict[str, int], test_size: float) -> str | None:
    """Why a stratified split of these classes is impossible, or ``None`` when it is possible."""
    total = sum(class_counts.values())
    if len(class_counts) < 2:
        return "A classifier needs at least two classes; the dataset has " + (
            f"only {next(iter(class_counts))!r}." if class_counts else "none."
        )
    small = sorted(label for label, count in class_counts.items() if count < 2)
    if small:
        return f"Every class needs at least 2 rows for a held-out split; too few: {', '.join(small)}."
    test_rows = math.ceil(test_size * total)
    if test_rows < len(class_counts) or total - test_rows < len(class_counts):
        return (
            f"{total} rows cannot hold {len(class_counts)} classes in both the training and the held-out part "
            f"(test size {test_size:g}); add rows or change the test size."
        )
    return None


def _round(value: float) -> float:
    return round(float(value), 6)


def evaluate(estimator: Any, X: Any, y: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """accuracy, macro precision/recall/F1 (each class weighs the same), per class, the confusion matrix."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    predicted = estimator.predict(X)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, predicted, labels=list(labels), average="macro", zero_division=0
    )
    per_p, per_r, per_f, support = precision_recall_fscore_support(
        y, predicted, labels=list(labels), average=None, zero_division=0
    )
    return {
        "accuracy": _round(accuracy_score(y, predicted)),
        "precision": _round(precision),
        "recall": _round(recall),
        "f1": _round(f1),
        "average": "macro",
        "per_class": [
            {
                "label": label,
                "precision": _round(per_p[i]),
                "recall": _round(per_r[i]),
                "f1": _round(per_f[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        ],
        "confusion_matrix": {
            "labels": list(labels),
            "matrix": confusion_matrix(y, predicted, labels=list(labels)).tolist(),
        },
    }


@dataclass(frozen=True)
class FitResult:
    estimator: Any
    metrics: dict[str, Any]
    parameters: dict[str, Any]


def fit_and_evaluate(
    X: Any,
    y: Sequence[str],
    *,
    algorithm: str,
    parameters: dict[str, Any] | None = None,
    test_size: float = TEST_SIZE_DEFAULT,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Split ``X, y`` (stratified, seeded), fit ``algorithm`` on the training part and measure it on the
    held-out part. The estimator returned is the one measured."""
    from sklearn.model_selection import train_test_split

    matrix = np.asarray(X, dtype=float)
    labels = np.asarray(list(y), dtype=object)
    counts = Counter(str(label) for label in labels)
    problem = split_problem(dict(counts), test_size)
    if problem is not None:
        raise ValidationFailed(problem, field_errors={"dataset": [problem]})
    params = algorithm_parameters(algorithm, parameters)
    X_train, X_test, y_train, y_test = train_test_split(
        matrix, labels, test_size=test_size, random_state=RANDOM_STATE, stratify=labels
    )
    if progress:
        progress(f"Fitting {algorithm} on {len(y_train)} rows")
    estimator = ALGORITHMS[algorithm].build(params)
    estimator.fit(X_train, y_train)
    if progress:
        progress(f"Evaluating on {len(y_test)} held-out rows")
    classes = sorted(counts)
    metrics = evaluate(estimator, X_test, list(y_test), classes)
    metrics.update(
        {
            "train_size": len(y_train),
            "test_size": len(y_test),
            "test_fraction": test_size,
            "classes": classes,
            "class_counts": [{"label": label, "count": counts[label]} for label in classes],
            "random_state": RANDOM_STATE,
        }
    )
    return FitResult(estimator, metrics, params)
