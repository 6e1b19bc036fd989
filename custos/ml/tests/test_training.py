"""The scikit-learn training kit: parameter validation, split feasibility, deterministic held-out metrics,
and the draft -> training -> ready life of a declared version."""

from __future__ import annotations

import numpy as np
import pytest

from custos.audit.models import AuditLog
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed
from custos.ml import services, training
from custos.ml.models import MLModel


def _blobs(per_class=20, *, spread=0.1):
    """Three classes around (0,0), (10,0) and (0,10): separable by any of the algorithms."""
    rng = np.random.default_rng(7)
    centres = {"a": (0.0, 0.0), "b": (10.0, 0.0), "c": (0.0, 10.0)}
    X, y = [], []
    for label, centre in centres.items():
        X.extend(rng.normal(centre, spread, size=(per_class, 2)).tolist())
        y.extend([label] * per_class)
    return X, y


@pytest.mark.parametrize("algorithm", sorted(training.ALGORITHMS))
def test_separated_classes_score_one_on_the_held_out_part(algorithm):
    X, y = _blobs()
    result = training.fit_and_evaluate(X, y, algorithm=algorithm, parameters={}, test_size=0.25)
    m = result.metrics
    assert (m["accuracy"], m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0, 1.0)
    assert (m["train_size"], m["test_size"], m["classes"]) == (45, 15, ["a", "b", "c"])
    assert m["confusion_matrix"]["matrix"] == [[5, 0, 0], [0, 5, 0], [0, 0, 5]]
    assert result.estimator.predict([[10.0, 0.1]])[0] == "b"


def test_metrics_match_a_hand_counted_confusion():
    """A constant classifier on 2 x 'a' + 2 x 'b' held out: accuracy 0.5, macro precision (0.5 + 0)/2,
    macro recall (1 + 0)/2, macro F1 (2/3 + 0)/2."""
    from sklearn.dummy import DummyClassifier

    estimator = DummyClassifier(strategy="constant", constant="a").fit([[0], [1]], ["a", "b"])
    m = training.evaluate(estimator, [[0], [0], [1], [1]], ["a", "a", "b", "b"], ["a", "b"])
    assert (m["accuracy"], m["precision"], m["recall"], m["f1"]) == (0.5, 0.25, 0.5, round(1 / 3, 6))
    assert m["confusion_matrix"]["matrix"] == [[2, 0], [2, 0]]
    assert m["per_class"][1] == {"label": "b", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}


def test_the_same_rows_give_the_same_model_and_figures():
    X, y = _blobs(spread=4.0)  # overlapping: the figures are below 1 and must still repeat exactly
    one = training.fit_and_evaluate(X, y, algorithm="random_forest", parameters={"n_estimators": 20})
    two = training.fit_and_evaluate(X, y, algorithm="random_forest", parameters={"n_estimators": 20})
    assert one.metrics == two.metrics
    probe = [[3.0, 3.0], [5.0, 1.0]]
    assert one.estimator.predict_proba(probe).tolist() == two.estimator.predict_proba(probe).tolist()


@pytest.mark.parametrize(
    ("counts", "test_size", "expected"),
    [
        ({"a": 10}, 0.25, "at least two classes"),
        ({}, 0.25, "at least two classes"),
        ({"a": 10, "b": 1}, 0.25, "too few: b"),
        ({"a": 2, "b": 2, "c": 2}, 0.25, "cannot hold 3 classes"),
        ({"a": 4, "b": 4}, 0.25, None),
    ],
)
def test_split_problem(counts, test_size, expected):
    problem = training.split_problem(counts, test_size)
    assert (problem is None) if expected is None else (expected in problem)


def test_parameters_are_validated_and_defaulted():
    assert training.algorithm_parameters("gradient_boosting", {"max_depth": 2}) == {
        "n_estimators": 100,
        "learning_rate": 0.1,
        "max_depth": 2,
    }
    assert (
        training.algorithm_parameters("random_forest", {"max_depth": None, "class_weight": "balanced"})["max_depth"]
        is None
    )
    for given in ({"n_estimators": 0}, {"n_estimators": 2.5}, {"n_estimators": True}, {"gamma": 1},
                  {"class_weight": "heavy"}, {"max_depth": float("nan")}):  # fmt: skip
        with pytest.raises(ValidationFailed):
            training.algorithm_parameters("random_forest", given)
    with pytest.raises(ValidationFailed):
        training.algorithm_parameters("svm", {})


@pytest.mark.django_db
def test_a_declared_version_is_trained_stored_and_activated(org_a, alice):
    ctx = WriteContext.for_user(alice, organization_id=org_a.pk)
    draft = services.model_create(ctx, task="demo.task", algorithm="random_forest", name="Blobs")
    assert (draft.version, draft.status, bool(draft.artifact)) == (1, "draft", False)
    dataset = services.dataset_create(ctx, name="d", task="demo.task", source="test", items=[])
    system = WriteContext.system(organization_id=org_a.pk)
    services.model_training_started(system, draft, job_id="job-1", dataset=dataset)
    X, y = _blobs()
    fitted = training.fit_and_evaluate(X, y, algorithm="random_forest", parameters={"n_estimators": 5})
    model = services.model_store_trained(
        system, draft, estimator=fitted.estimator, metrics=fitted.metrics, parameters=fitted.parameters,
        features=("x", "y"), samples=60, trained_from=None, trained_to=None, activate=True,
    )  # fmt: skip
    assert (model.status, model.is_active, model.samples, model.job_id) == ("ready", True, 60, "job-1")
    services._loaded.clear()
    assert services.load_estimator(model).predict([[0.0, 10.0]])[0] == "c"
    actions = AuditLog.objects.filter(resource_type="MLModel").order_by("sequence").values_list("action", flat=True)
    assert list(actions) == ["CREATE", "TRAIN", "TRAINED", "ACTIVATE"]


@pytest.mark.django_db
def test_lifecycle_guards(org_a, alice):
    ctx = WriteContext.for_user(alice, organization_id=org_a.pk)
    draft = services.model_create(ctx, task="demo.task", algorithm="random_forest")
    with pytest.raises(Conflict):
        services.model_activate(ctx, draft)  # not trained
    with pytest.raises(Conflict):
        services.model_deactivate(ctx, draft)  # not active
    dataset = services.dataset_create(ctx, name="d", task="demo.task", source="test", items=[])
    services.model_training_started(ctx, draft, job_id="j", dataset=dataset)
    with pytest.raises(Conflict):
        services.model_delete(ctx, MLModel.objects.get(pk=draft.pk))  # being trained
    services.model_training_failed(ctx, draft, error="boom")
    failed = MLModel.objects.get(pk=draft.pk)
    assert (failed.status, failed.error) == ("failed", "boom")
    services.model_delete(ctx, failed)
    assert MLModel.objects.count() == 0
