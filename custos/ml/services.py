"""Registering, activating and loading trained models, datasets, predictions, and training as a Job.

A domain trains its estimator itself (from its own data), then calls ``model_register``: the estimator is
serialised with joblib into the default storage, the next version number is taken under a row lock, and
with ``activate`` the new version replaces the active one of its (organization, task, scope).
``active_model`` / ``load_estimator`` / ``predict`` are the read side used at prediction time.

The other way in (the SQAL AI routes): ``model_create`` declares a ``draft`` version, a training Job marks
it ``training`` (``model_training_started``) and stores the fitted estimator (``model_store_trained``) or
the failure (``model_training_failed``); ``model_activate`` / ``model_deactivate`` switch the one active
version of a task; ``dataset_create`` and ``prediction_record`` keep what was trained on and answered.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import joblib
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max

from custos.audit.writes import audited_action, audited_create, audited_delete, audited_update, require_role
from custos.jobs.models import Job
from custos.jobs.services import job_create
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict
from custos.ml.models import TRAINED_STATUSES, DatasetItem, LabelSource, MLModel, ModelStatus, Prediction
from custos.ml.models import Dataset as DatasetRecord
from custos.orgs.choices import WRITE_ROLES

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


def _artifact_name(model: MLModel) -> str:
    safe_scope = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in model.scope) or "all"
    return f"{model.organization_id}/{model.task}/{safe_scope}/v{model.version}.joblib"


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
        model.artifact.save(_artifact_name(model), ContentFile(payload), save=False)
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


def model_activate(ctx: WriteContext, model: MLModel, *, roles: Collection[str] | None = None) -> MLModel:
    """Make ``model`` the active version of its (organization, task, scope) (a roll-back, say); the
    version active before is retired. Only a trained version can be activated (409 otherwise)."""
    require_role(ctx, organization_id=model.organization_id, roles=roles)
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().get(pk=model.pk)
        if locked.status not in TRAINED_STATUSES or not locked.artifact:
            raise Conflict(
                f"Only a trained model can be activated; this one is {locked.status}.", code="MODEL_NOT_TRAINED"
            )
        previous = list(
            MLModel.objects.select_for_update()
            .filter(organization_id=model.organization_id, task=model.task, scope=model.scope, is_active=True)
            .exclude(pk=model.pk)
            .values_list("version", flat=True)
        )
        MLModel.objects.filter(
            organization_id=model.organization_id, task=model.task, scope=model.scope, is_active=True
        ).exclude(pk=model.pk).update(is_active=False, status=ModelStatus.RETIRED)
        MLModel.objects.filter(pk=model.pk).update(is_active=True, status=ModelStatus.READY)
        model.refresh_from_db()
        audited_action(
            ctx.within(model.organization_id),
            model,
            action="ACTIVATE",
            changes={"version": model.version, "replaced_versions": previous},
            roles=None,
        )
    return model


def model_deactivate(ctx: WriteContext, model: MLModel, *, roles: Collection[str] | None = None) -> MLModel:
    """Take ``model`` out of service: its task then has no active version (predictions are refused)."""
    require_role(ctx, organization_id=model.organization_id, roles=roles)
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().get(pk=model.pk)
        if not locked.is_active:
            raise Conflict("The model is not active.", code="MODEL_NOT_ACTIVE")
        return audited_update(
            ctx.within(model.organization_id), locked, values={"is_active": False}, action="DEACTIVATE", roles=None
        )


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
    subject_type: str = "",
    subject_id: Any = "",
) -> Job:
    """Queue a training run of ``task_name`` (a ``JobTask`` that calls ``model_register`` or
    ``model_store_trained``) as a Job."""
    return job_create(
        ctx,
        organization_id=organization_id,
        job_type=job_type,
        task_name=task_name,
        parameters=parameters,
        subject_type=subject_type,
        subject_id=subject_id,
    )


# --- Declared versions trained by a Job (the SQAL AI routes) ----------------------------------------


def _next_version(*, organization_id: Any, task: str, scope: str) -> int:
    """The next version number of (organization, task, scope); call inside a transaction (rows locked)."""
    existing = MLModel.objects.select_for_update().filter(organization_id=organization_id, task=task, scope=scope)
    return (existing.aggregate(top=Max("version"))["top"] or 0) + 1


def model_create(
    ctx: WriteContext,
    *,
    task: str,
    algorithm: str,
    name: str = "",
    description: str = "",
    parameters: dict[str, Any] | None = None,
    scope: str = "",
    dataset: DatasetRecord | None = None,
    roles: Collection[str] | None = WRITE_ROLES,
) -> MLModel:
    """Declare the next version of (``ctx.organization_id``, ``task``, ``scope``), untrained (``draft``)."""
    require_role(ctx, organization_id=ctx.organization_id, roles=roles)
    with transaction.atomic():
        version = _next_version(organization_id=ctx.organization_id, task=task, scope=scope)
        return audited_create(
            ctx,
            MLModel,
            values={
                "organization_id": ctx.organization_id,
                "task": task,
                "scope": scope,
                "version": version,
                "name": name,
                "description": description,
                "algorithm": algorithm,
                "parameters": parameters or {},
                "status": ModelStatus.DRAFT,
                "dataset": dataset,
            },
            roles=roles,
        )


def model_update(
    ctx: WriteContext, model: MLModel, *, values: dict[str, Any], roles: Collection[str] | None = WRITE_ROLES
) -> MLModel:
    """Change a model's description fields (the caller decides which fields may change in which status)."""
    return audited_update(ctx.within(model.organization_id), model, values=values, roles=roles)


def model_delete(ctx: WriteContext, model: MLModel, *, roles: Collection[str] | None = WRITE_ROLES) -> None:
    """Delete a version and, once committed, its artifact. The active version and one being trained stay
    (409): deactivate first, or wait for the training to end. Recorded predictions keep their figures."""
    require_role(ctx, organization_id=model.organization_id, roles=roles)
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().get(pk=model.pk)
        if locked.is_active:
            raise Conflict("The active model cannot be deleted: deactivate it first.", code="MODEL_ACTIVE")
        if locked.status == ModelStatus.TRAINING:
            raise Conflict("The model is being trained.", code="MODEL_TRAINING")
        name, storage = locked.artifact.name, locked.artifact.storage
        audited_delete(ctx.within(model.organization_id), locked, roles=roles)
        if name:
            transaction.on_commit(lambda: storage.delete(name))


def model_training_started(
    ctx: WriteContext, model: MLModel, *, job_id: str, dataset: DatasetRecord, values: dict[str, Any] | None = None
) -> MLModel:
    """Mark a ``draft`` (or ``failed``) version as being trained by ``job_id`` on ``dataset``."""
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().get(pk=model.pk)
        if locked.status not in (ModelStatus.DRAFT, ModelStatus.FAILED):
            raise Conflict(f"Only a draft or failed model can be trained; this one is {locked.status}.")
        return audited_update(
            ctx.within(model.organization_id),
            locked,
            values={
                **(values or {}),
                "status": ModelStatus.TRAINING,
                "job_id": job_id,
                "dataset": dataset,
                "error": "",
            },
            action="TRAIN",
            roles=None,
            event=False,
        )


def model_store_trained(
    ctx: WriteContext,
    model: MLModel,
    *,
    estimator: Any,
    metrics: dict[str, Any],
    parameters: dict[str, Any],
    features: Sequence[str],
    samples: int,
    trained_from: datetime | None,
    trained_to: datetime | None,
    activate: bool = False,
) -> MLModel:
    """Store the fitted estimator of a version being trained (platform work: the training Job) and mark
    it ``ready``; with ``activate`` it becomes the active version of its task."""
    from django.utils import timezone

    payload = _dump(estimator)
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().get(pk=model.pk)
        stored = locked.artifact.storage.save(_artifact_name(locked), ContentFile(payload))
        audited_update(
            ctx.within(locked.organization_id),
            locked,
            values={
                "artifact": stored,
                "status": ModelStatus.READY,
                "metrics": metrics,
                "parameters": parameters,
                "features": list(features),
                "samples": samples,
                "trained_from": trained_from,
                "trained_to": trained_to,
                "trained_at": timezone.now(),
                "error": "",
            },
            action="TRAINED",
            roles=None,
        )
        if activate:
            locked = model_activate(ctx, locked)
    return locked


def model_training_failed(ctx: WriteContext, model: MLModel, *, error: str, status: str = ModelStatus.FAILED) -> None:
    """A training run ended without a model: the version is ``failed`` (or back to ``draft`` when the run
    was cancelled) with the reason."""
    with transaction.atomic():
        locked = MLModel.objects.select_for_update().filter(pk=model.pk).first()
        if locked is None or locked.status != ModelStatus.TRAINING:
            return
        audited_update(
            ctx.within(locked.organization_id),
            locked,
            values={"status": status, "error": error[:2000]},
            action="TRAIN_FAILED",
            roles=None,
        )


# --- Datasets and predictions -------------------------------------------------------------------

DATASET_BATCH = 1000


def dataset_create(
    ctx: WriteContext,
    *,
    name: str,
    task: str,
    source: str,
    items: Iterable[tuple[Any, str]],
    label_source: str = LabelSource.SERVER_GRADE,
    description: str = "",
    filters: dict[str, Any] | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    roles: Collection[str] | None = WRITE_ROLES,
) -> DatasetRecord:
    """A dataset of ``items`` (``(subject id, label)``, each subject once) in ``ctx.organization_id``."""
    members = list(items)
    counts: dict[str, int] = {}
    for _subject, label in members:
        counts[label] = counts.get(label, 0) + 1
    with transaction.atomic():
        dataset = audited_create(
            ctx,
            DatasetRecord,
            values={
                "organization_id": ctx.organization_id,
                "name": name,
                "description": description,
                "task": task,
                "source": source,
                "label_source": label_source,
                "filters": filters or {},
                "size": len(members),
                "class_counts": dict(sorted(counts.items())),
                "window_start": window_start,
                "window_end": window_end,
            },
            roles=roles,
        )
        for start in range(0, len(members), DATASET_BATCH):
            DatasetItem.objects.bulk_create(
                DatasetItem(dataset=dataset, subject_id=subject, label=label)
                for subject, label in members[start : start + DATASET_BATCH]
            )
    return dataset


def prediction_record(
    ctx: WriteContext,
    *,
    model: MLModel,
    input_source: str,
    label: str,
    confidence: float | None,
    probabilities: dict[str, float],
    subject_type: str = "",
    subject_id: Any = "",
    reference_label: str = "",
    features: dict[str, float] | None = None,
    roles: Collection[str] | None = WRITE_ROLES,
) -> Prediction:
    """Keep one answer of ``model`` (for the metrics), audited like any write."""
    return audited_create(
        ctx.within(model.organization_id),
        Prediction,
        values={
            "organization_id": model.organization_id,
            "model": model,
            "task": model.task,
            "model_version": model.version,
            "input_source": input_source,
            "subject_type": subject_type,
            "subject_id": str(subject_id or ""),
            "label": label,
            "confidence": confidence,
            "probabilities": probabilities,
            "reference_label": reference_label,
            "features": features or {},
        },
        audit_values={
            "model": str(model.pk),
            "task": model.task,
            "version": model.version,
            "input_source": input_source,
            "subject_id": str(subject_id or ""),
            "label": label,
        },
        roles=roles,
    )
