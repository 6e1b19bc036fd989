"""The model registry: versions, one active per (organization, task, scope), artifacts in storage."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from custos.audit.models import AuditLog
from custos.kernel.context import WriteContext
from custos.ml import services
from custos.ml.models import MLModel

pytestmark = pytest.mark.django_db


class Doubler:
    """A stand-in estimator (picklable, deterministic)."""

    def __init__(self, factor):
        self.factor = factor

    def predict(self, X):
        return [x * self.factor for x in X]


def _register(org, factor=2, scope="", task="demo.task"):
    return services.model_register(
        WriteContext.system(organization_id=org.pk),
        organization_id=org.pk,
        task=task,
        scope=scope,
        algorithm="doubler",
        estimator=Doubler(factor),
        metrics={"mae": 0.0},
    )


def test_versions_count_up_and_the_newest_is_active(org_a):
    first, second = _register(org_a, 2), _register(org_a, 3)
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert (first.is_active, first.status, second.is_active) == (False, "retired", True)
    model, output = services.predict(organization_id=org_a.pk, task="demo.task", X=[1, 2])
    assert (model.pk, output) == (second.pk, [3, 6])
    assert AuditLog.objects.filter(resource_type="MLModel", action="CREATE").count() == 2


def test_scopes_and_organizations_are_separate(org_a, org_b):
    _register(org_a, scope="pumps")
    theirs = _register(org_b, scope="pumps")
    assert theirs.version == 1
    assert services.active_model(organization_id=org_a.pk, task="demo.task", scope="valves") is None
    with pytest.raises(LookupError):
        services.predict(organization_id=org_a.pk, task="demo.task", scope="valves", X=[1])


def test_activate_rolls_back_to_an_older_version(org_a):
    first = _register(org_a, 2)
    _register(org_a, 3)
    services.model_activate(WriteContext.system(organization_id=org_a.pk), first)
    assert services.active_model(organization_id=org_a.pk, task="demo.task").pk == first.pk
    assert MLModel.objects.filter(is_active=True).count() == 1


def test_two_active_versions_are_refused_by_the_database(org_a):
    first = _register(org_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        MLModel.objects.create(
            organization=org_a, task="demo.task", version=2, algorithm="x", is_active=True, artifact=first.artifact.name
        )
    assert MLModel.objects.count() == 1


def test_artifact_round_trips_through_storage(org_a):
    model = _register(org_a, 5)
    services._loaded.clear()
    assert services.load_estimator(model).predict([2]) == [10]
