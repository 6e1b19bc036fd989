"""Registering, activating and loading trained models, and starting training as a Job.

A domain trains its estimator itself (from its own data), then calls ``model_register``: the estimator is
serialised with joblib into the default storage, the next version number is taken under a row lock, and
with ``activate`` the new version replaces the active one of its (organization, task, scope).
``active_model`` / ``load_estimator`` / ``predict`` are the read side used at prediction time.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import joblib
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from custos.audit.writes import audited_action, audited_create
from custos.jobs.models import Job
from custos.jobs.services import job_create
from custos.kernel.context import WriteContext
from custos.ml.models import MLModel, ModelStatus

TRAIN_JOB_TYPE = "ml.train"


@dataclass
class Dataset:
    """A training or evaluation set: ``X`` rows of ``feature_names``, optional labels ``y``, and the time
    window the rows come from."""

    X: Any
    y: Any = None
    feature_names: Sequence[str] = ()
    window_start: datetime | None = None
    window_end: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return 0 if self.X is None else len(self.X)


def _dump(estimator: Any) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer, compress=3)
    return buffer.getvalue()


def model_register(
    ctx: WriteContext,
    *,
    organization_id: Any,
    task: str,
    scope: str = "",
    algorithm: str,
    estimator: Any,
    metrics: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
    features: Sequence[str] = (),
    samples: int = 0,
    trained_from: datetime | None = None,
    trained_to: datetime | None = None,
    job_id: str = "",
    activate: bool = True,
) -> MLModel:
    """Store ``estimator`` as the next version of (``organization_id``, ``task``, ``scope``); platform work
    (no role check), one ``CREATE`` audit row, and with ``activate`` the previous active version retired."""
    payload = _dump(estimator)
    with transaction.atomic():
        # Lock the existing versions so two trainings never take the same number.
        existing = MLModel.objects.select_for_update().filter(organization_id=organization_id, task=task, scope=scope)
        version = (existing.aggregate(top=Max("version"))["top"] or 0) + 1
        if activate:
            existing.filter(is_active=True).update(is_active=False, status=ModelStatus.RETIRED)
        model = MLModel(
            organization_id=organization_id,
            task=task,
            scope=scope,
            version=version,
            algorithm=algorithm,
            is_active=activate,
            metrics=metrics or {},
            parameters=parameters or {},
            features=list(features),
            samples=samples,
            trained_from=trained_from,
            trained_to=trained_to,
            job_id=job_id,
        )
        safe_scope = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in scope) or "all"
        model.artifact.save(
            f"{organization_id}/{task}/{safe_scope}/v{version}.joblib", ContentFile(payload), save=False
        )
        return audited_create(
            ctx.within(organization_id),
            model,
            audit_values={
                "task": task,
                "scope": scope,
                "version": version,
                "algorithm": algorithm,
                "metrics": metrics or {},
                "samples": samples,
            },
            roles=None,
        )


def model_activate(ctx: WriteContext, model: MLModel) -> MLModel:
    """Make ``model`` the active version of its (organization, task, scope) (a roll-back, say)."""
    with transaction.atomic():
        MLModel.objects.select_for_update().filter(
            organization_id=model.organization_id, task=model.task, scope=model.scope, is_active=True
        ).exclude(pk=model.pk).update(is_active=False, status=ModelStatus.RETIRED)
        MLModel.objects.filter(pk=model.pk).update(is_active=True, status=ModelStatus.READY)
        model.refresh_from_db()
        audited_action(ctx.within(model.organization_id), model, action="ACTIVATE", changes={"version": model.version})
    return model


def active_model(*, organization_id: Any, task: str, scope: str = "") -> MLModel | None:
    return MLModel.objects.filter(organization_id=organization_id, task=task, scope=scope, is_active=True).first()


_loaded: dict[Any, Any] = {}
_loaded_lock = threading.Lock()
_LOADED_MAX = 64


def load_estimator(model: MLModel) -> Any:
    """The estimator of ``model``, read from storage once per process (artifacts never change)."""
    key = (model.pk, model.artifact.name)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key]
    with model.artifact.open("rb") as handle:
        estimator = joblib.load(io.BytesIO(handle.read()))
    with _loaded_lock:
        if len(_loaded) >= _LOADED_MAX:
            _loaded.pop(next(iter(_loaded)))
        _loaded[key] = estimator
    return estimator


def predict(*, organization_id: Any, task: str, scope: str = "", X: Any, proba: bool = False) -> tuple[MLModel, Any]:
    """``(model, output)`` of the active model of (organization, task, scope), or ``LookupError``."""
    model = active_model(organization_id=organization_id, task=task, scope=scope)
    if model is None:
        raise LookupError(f"No active model for {task!r} ({scope or 'all'}).")
    estimator = load_estimator(model)
    return model, (estimator.predict_proba(X) if proba else estimator.predict(X))


def training_start(
    ctx: WriteContext,
    *,
    organization_id: Any,
    task_name: str,
    parameters: dict[str, Any],
    job_type: str = TRAIN_JOB_TYPE,
) -> Job:
    """Queue a training run of ``task_name`` (a ``JobTask`` that calls ``model_register``) as a Job."""
    return job_create(
        ctx, organization_id=organization_id, job_type=job_type, task_name=task_name, parameters=parameters
    )
