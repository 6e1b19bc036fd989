"""The SQAL AI: models on the ``custos.ml`` registry trained on stored quality samples (docs/sqal-ai.md).

* **Datasets** (``dataset_build``): stored samples chosen by the history filters (labelled with the
  server's grade) or named one by one with an operator's label.
* **Training** (``training_create`` then the Job ``quality.ai.train_model`` running ``training_execute``):
  features from the raw measurements of each sample (``features.py``), a stratified, seeded held-out
  split, a scikit-learn classifier, accuracy / precision / recall / F1 on the held-out part, the fitted
  estimator stored as the model's artifact.
* **Prediction** (``predict``): the active model of a task answers for a stored sample or a frame's
  measurements; every answer is recorded for ``/api/ai/metrics/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from custos.audit.writes import require_role
from custos.jobs.models import Job
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, DomainError, ValidationFailed, does_not_exist
from custos.ml import services as ml
from custos.ml import training
from custos.ml.models import Dataset, LabelSource, MLModel, ModelStatus, Prediction
from custos.modules.quality.ai.features import FEATURES, frame_features, frame_grade, sample_features, vector
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.models import QualitySample
from custos.modules.quality.services.frames import FrameErrors, parse_frame
from custos.orgs.choices import ADMIN_ROLES, WRITE_ROLES

TASK_PREFIX = "sqal."
DEFAULT_TASK = "sqal.grade"
SOURCE = "quality.QualitySample"
SUBJECT_TYPE = "QualitySample"
TRAIN_JOB_TYPE = "sqal.ai.train"
TRAIN_TASK = "quality.ai.train_model"
MAX_DATASET_SAMPLES = training.MAX_TRAINING_ROWS
DEFAULT_DATASET_LIMIT = 5000
FEATURE_CHUNK = 500  # samples read and turned into features per progress step
TASK_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"

Progress = Callable[[int, int, str], None]


# --- Tasks --------------------------------------------------------------------------------------


def normalise_task(value: Any, *, field: str = "task") -> str:
    """``grade`` or ``sqal.grade`` -> ``sqal.grade``; the SQAL routes train and use ``sqal.*`` tasks only."""
    text = str(value or "").strip().lower() or DEFAULT_TASK
    name = text.removeprefix(TASK_PREFIX)
    if "." in name or not name or len(TASK_PREFIX + name) > 64 or any(ch not in TASK_CHARS for ch in name):
        raise ValidationFailed(
            field_errors={field: ["A task name of letters, digits, '_' or '-' (e.g. 'grade' or 'sqal.grade')."]}
        )
    return TASK_PREFIX + name


# --- Models -------------------------------------------------------------------------------------


def ai_model_create(ctx: WriteContext, *, data: dict[str, Any]) -> MLModel:
    """Declare the next version of a task (``draft``): name, algorithm and its validated parameters."""
    algorithm = data.get("algorithm") or training.DEFAULT_ALGORITHM
    parameters = training.algorithm_parameters(algorithm, data.get("parameters"))
    return ml.model_create(
        ctx,
        task=normalise_task(data.get("task")),
        name=data["name"],
        description=data.get("description") or "",
        algorithm=algorithm,
        parameters=parameters,
    )


def ai_model_update(ctx: WriteContext, model: MLModel, *, data: dict[str, Any]) -> MLModel:
    """Rename or describe any version; the algorithm and parameters only before it is trained."""
    values: dict[str, Any] = {key: data[key] for key in ("name", "description") if key in data}
    if "algorithm" in data or "parameters" in data:
        if model.status not in (ModelStatus.DRAFT, ModelStatus.FAILED):
            message = "A trained model keeps its algorithm and parameters: train a new version instead."
            field = "algorithm" if "algorithm" in data else "parameters"
            raise ValidationFailed(field_errors={field: [message]})
        algorithm = data.get("algorithm") or model.algorithm
        kept = model.parameters if algorithm == model.algorithm else {}
        given = data.get("parameters", kept)
        values["algorithm"] = algorithm
        values["parameters"] = training.algorithm_parameters(algorithm, given)
    return ml.model_update(ctx, model, values=values)


def ai_model_delete(ctx: WriteContext, model: MLModel) -> None:
    ml.model_delete(ctx, model, roles=ADMIN_ROLES)


def ai_model_activate(ctx: WriteContext, model: MLModel) -> MLModel:
    return ml.model_activate(ctx, model, roles=ADMIN_ROLES)


def ai_model_deactivate(ctx: WriteContext, model: MLModel) -> MLModel:
    return ml.model_deactivate(ctx, model, roles=ADMIN_ROLES)


# --- Samples named by reference -----------------------------------------------------------------


def resolve_samples(*, organization_id: Any, refs: Sequence[dict[str, Any]], field: str) -> list[QualitySample]:
    """The samples of ``organization_id`` that ``refs`` name, in order: each ref is ``{analysis_id}`` (the
    stored row's id, as ``/api/analysis/history/`` shows it) or ``{sample_id, device_id?}`` (the station's
    sample id; ``device_id`` needed when two stations used the same one). Unknown ones are 422."""
    samples = QualitySample.objects.filter(organization_id=organization_id).select_related("device")
    by_pk: dict[Any, QualitySample] = {}
    pks = [ref["analysis_id"] for ref in refs if ref.get("analysis_id")]
    if pks:
        by_pk = {sample.pk: sample for sample in samples.filter(pk__in=pks)}
    by_station: dict[str, list[QualitySample]] = {}
    station_ids = {str(ref["sample_id"]) for ref in refs if ref.get("sample_id")}
    if station_ids:
        for sample in samples.filter(sample_id__in=station_ids):
            by_station.setdefault(sample.sample_id, []).append(sample)
    found: list[QualitySample] = []
    errors: dict[str, list[str]] = {}
    for index, ref in enumerate(refs):
        where = f"{field}[{index}]" if len(refs) > 1 or field != "" else field
        if ref.get("analysis_id"):
            sample = by_pk.get(ref["analysis_id"])
            if sample is None:
                errors[f"{where}.analysis_id"] = [f'Invalid pk "{ref["analysis_id"]}" - object does not exist.']
                continue
        else:
            candidates = by_station.get(str(ref.get("sample_id")), [])
            if ref.get("device_id"):
                candidates = [s for s in candidates if s.device.device_id == ref["device_id"]]
            if not candidates:
                errors[f"{where}.sample_id"] = [f"No stored sample {ref.get('sample_id')!r}."]
                continue
            if len(candidates) > 1:
                errors[f"{where}.device_id"] = ["Several stations sent this sample id: name the device_id."]
                continue
            sample = candidates[0]
        found.append(sample)
        if len(errors) >= 20:
            break
    if errors:
        raise ValidationFailed(field_errors=errors)
    return found


# --- Datasets -----------------------------------------------------------------------------------


def dataset_build(ctx: WriteContext, *, data: dict[str, Any]) -> Dataset:
    """A dataset of stored samples of ``ctx.organization_id``.

    Without ``labels``: the samples the ``filters`` select (device, time window, grades), newest first, at
    most ``limit``, each labelled with the server's grade. With ``labels``: exactly the samples named, each
    with the operator's label.
    """
    require_role(ctx, organization_id=ctx.organization_id, roles=WRITE_ROLES)
    task = normalise_task(data.get("task"))
    filters = dict(data.get("filters") or {})
    labels = data.get("labels")
    items: list[tuple[Any, str]]
    samples: list[QualitySample] = []
    rows: list[tuple[Any, str, Any]] = []
    if labels:
        samples = resolve_samples(organization_id=ctx.organization_id, refs=labels, field="labels")
        seen: set[Any] = set()
        duplicates = []
        for index, sample in enumerate(samples):
            if sample.pk in seen:
                duplicates.append(index)
            seen.add(sample.pk)
        if duplicates:
            raise ValidationFailed(
                field_errors={f"labels[{i}]": ["This sample is already labelled above."] for i in duplicates[:20]}
            )
        items = [(s.pk, str(label["label"]).strip()) for s, label in zip(samples, labels, strict=True)]
        label_source = LabelSource.OPERATOR
        recorded_filters: dict[str, Any] = {"labels": len(items)}
    else:
        queryset = QualitySample.objects.filter(organization_id=ctx.organization_id)
        if filters.get("device_id"):
            queryset = queryset.filter(device__device_id=filters["device_id"])
        if filters.get("start_date"):
            queryset = queryset.filter(timestamp__gte=filters["start_date"])
        if filters.get("end_date"):
            queryset = queryset.filter(timestamp__lte=filters["end_date"])
        if filters.get("grades"):
            queryset = queryset.filter(grade__in=filters["grades"])
        limit = int(data.get("limit") or DEFAULT_DATASET_LIMIT)
        rows = list(queryset.order_by("-timestamp", "pk").values_list("pk", "grade", "timestamp")[:limit])
        items = [(pk, grade) for pk, grade, _when in rows]
        label_source = LabelSource.SERVER_GRADE
        recorded_filters = {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in filters.items()
            if value not in (None, "", [])
        }
        recorded_filters["limit"] = limit
    if not items:
        raise ValidationFailed(field_errors={"filters": ["No stored sample matches: the dataset would be empty."]})
    moments = [s.timestamp for s in samples] if labels else [when for _pk, _grade, when in rows]
    return ml.dataset_create(
        ctx,
        name=data["name"],
        description=data.get("description") or "",
        task=task,
        source=SOURCE,
        items=items,
        label_source=label_source,
        filters=recorded_filters,
        window_start=min(moments),
        window_end=max(moments),
    )


# --- Training -----------------------------------------------------------------------------------


def _visible(model: type[Any], *, organization_id: Any, pk: Any, field: str) -> Any:
    found = model._default_manager.filter(organization_id=organization_id, pk=pk).first()
    if found is None:
        raise does_not_exist(field, pk)
    return found


def training_create(ctx: WriteContext, *, data: dict[str, Any]) -> Job:
    """Queue the training of a model on a dataset as a Job; checked first, so the Job only fails on what
    changed meanwhile.

    ``model_id`` names the version to train: a ``draft`` or ``failed`` one is trained itself, a trained one
    gives its next version (same name, algorithm and parameters unless given). Without ``model_id`` a new
    version of the dataset's task is declared. ``activate`` makes the result the task's active model.
    """
    require_role(ctx, organization_id=ctx.organization_id, roles=WRITE_ROLES)
    organization_id = ctx.organization_id
    dataset = _visible(Dataset, organization_id=organization_id, pk=data["dataset_id"], field="dataset_id")
    test_size = float(data.get("test_size") or training.TEST_SIZE_DEFAULT)
    counts = {row["label"]: row["count"] for row in _class_counts(dataset)}
    problem = training.split_problem(counts, test_size)
    if problem:
        raise ValidationFailed(field_errors={"dataset_id": [problem]})
    with transaction.atomic():
        model: MLModel | None = None
        if data.get("model_id"):
            model = _visible(MLModel, organization_id=organization_id, pk=data["model_id"], field="model_id")
            if model.task != dataset.task:
                raise ValidationFailed(
                    field_errors={"model_id": [f"The model's task {model.task} is not the dataset's {dataset.task}."]}
                )
            if model.status == ModelStatus.TRAINING:
                raise Conflict("The model is already being trained.", code="MODEL_TRAINING")
        algorithm = data.get("algorithm") or (model.algorithm if model else training.DEFAULT_ALGORITHM)
        kept = model.parameters if model is not None and model.algorithm == algorithm else {}
        given = data.get("parameters", kept)
        parameters = training.algorithm_parameters(algorithm, given)
        if model is None or model.status not in (ModelStatus.DRAFT, ModelStatus.FAILED):
            model = ml.model_create(
                ctx,
                task=dataset.task,
                name=data.get("name") or (model.name if model else "") or f"{dataset.name} classifier",
                description=data.get("description") or (model.description if model else ""),
                algorithm=algorithm,
                parameters=parameters,
                dataset=dataset,
            )
        job = ml.training_start(
            ctx,
            organization_id=organization_id,
            task_name=TRAIN_TASK,
            job_type=TRAIN_JOB_TYPE,
            parameters={
                "model_id": str(model.pk),
                "dataset_id": str(dataset.pk),
                "test_size": test_size,
                "activate": bool(data.get("activate")),
            },
            subject_type="MLModel",
            subject_id=model.pk,
        )
        ml.model_training_started(
            ctx, model, job_id=job.task_id, dataset=dataset, values={"algorithm": algorithm, "parameters": parameters}
        )
    return job


def _class_counts(dataset: Dataset) -> list[dict[str, Any]]:
    return [{"label": label, "count": count} for label, count in sorted((dataset.class_counts or {}).items())]


def training_execute(*, job_id: Any, progress: Progress) -> dict[str, Any]:
    """The body of the training Job: features of every sample of the dataset (one progress step per
    ``FEATURE_CHUNK``), then split, fit, evaluate, store."""
    job = Job.objects.get(pk=job_id)
    params = job.parameters or {}
    ctx = WriteContext.system(organization_id=job.organization_id)
    model = MLModel.objects.get(pk=params["model_id"], organization_id=job.organization_id)
    dataset = Dataset.objects.filter(pk=params["dataset_id"], organization_id=job.organization_id).first()
    if dataset is None:
        raise ValidationFailed("The dataset was deleted before the training ran.")
    members = list(dataset.items.order_by("subject_id").values_list("subject_id", "label"))
    chunks = max(1, -(-len(members) // FEATURE_CHUNK))
    total = chunks + 3
    rows: list[list[float]] = []
    labels: list[str] = []
    moments = []
    for step in range(chunks):
        progress(
            step,
            total,
            f"Computing features: samples {step * FEATURE_CHUNK + 1}-"
            f"{min(len(members), (step + 1) * FEATURE_CHUNK)} of {len(members)}",
        )
        part = dict(members[step * FEATURE_CHUNK : (step + 1) * FEATURE_CHUNK])
        stored = QualitySample.objects.filter(organization_id=job.organization_id, pk__in=list(part)).only(
            "pk", "timestamp", "distance_matrix", "channels", "tof_metrics"
        )
        for sample in sorted(stored, key=lambda s: str(s.pk)):
            rows.append(vector(sample_features(sample)))
            labels.append(part[sample.pk])
            moments.append(sample.timestamp)
    skipped = len(members) - len(rows)
    test_size = float(params.get("test_size") or training.TEST_SIZE_DEFAULT)
    steps = iter(range(chunks, total))

    def step_progress(message: str) -> None:
        progress(next(steps), total, message)

    fitted = training.fit_and_evaluate(
        rows,
        labels,
        algorithm=model.algorithm,
        parameters=model.parameters,
        test_size=test_size,
        progress=step_progress,
    )
    progress(total - 1, total, "Storing the model")
    metrics = {**fitted.metrics, "label_source": dataset.label_source, "dataset_id": str(dataset.pk)}
    stored_model = ml.model_store_trained(
        ctx,
        model,
        estimator=fitted.estimator,
        metrics=metrics,
        parameters=fitted.parameters,
        features=FEATURES,
        samples=len(rows),
        trained_from=min(moments) if moments else None,
        trained_to=max(moments) if moments else None,
        activate=bool(params.get("activate")),
    )
    return {
        "model_id": str(stored_model.pk),
        "task": stored_model.task,
        "version": stored_model.version,
        "algorithm": stored_model.algorithm,
        "samples": len(rows),
        "skipped_samples": skipped,
        "metrics": {key: fitted.metrics[key] for key in ("accuracy", "precision", "recall", "f1")},
        "train_size": fitted.metrics["train_size"],
        "test_size": fitted.metrics["test_size"],
        "activated": stored_model.is_active,
    }


def training_abandoned(*, job_id: Any, error: str, cancelled: bool = False) -> None:
    """The training Job stopped without a model: the version goes back to ``draft`` (cancelled) or is
    ``failed`` with the reason."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    model = MLModel.objects.filter(pk=(job.parameters or {}).get("model_id")).first()
    if model is None:
        return
    ml.model_training_failed(
        WriteContext.system(organization_id=job.organization_id),
        model,
        error=error,
        status=ModelStatus.DRAFT if cancelled else ModelStatus.FAILED,
    )


# --- Prediction ---------------------------------------------------------------------------------


def _frame_errors(errors: FrameErrors) -> ValidationFailed:
    field_errors: dict[str, list[str]] = {}
    for error in errors.errors:
        field_errors.setdefault(f"frame.{error['field']}", []).append(error["message"])
    return ValidationFailed(field_errors=field_errors)


def predict(ctx: WriteContext, *, data: dict[str, Any]) -> Prediction:
    """The active model of ``task`` (default ``sqal.grade``) answers for one product: a stored sample
    (``analysis_id``, or ``sample_id`` + ``device_id``) or the measurements of a frame (``frame``: the
    ``vl53l8ch`` and ``as7341`` blocks of a ``sensor_data`` frame). The answer is recorded.

    No active model for the task: 400. Bad input: 422."""
    organization_id = ctx.organization_id
    require_role(ctx, organization_id=organization_id, roles=WRITE_ROLES)
    task = normalise_task(data.get("task"))
    sample: QualitySample | None = None
    if data.get("frame") is not None:
        frame_data = {str(k).lower(): v for k, v in data["frame"].items()}
        measured: dict[str, Any] = {
            key: frame_data[key] for key in ("vl53l8ch", "vl53l8ch_raw", "as7341", "as7341_raw") if key in frame_data
        }
        try:
            frame = parse_frame({"sample_id": "prediction", **measured}, device_id="")
        except FrameErrors as errors:
            raise _frame_errors(errors) from None
        features = frame_features(frame)
        server_grade = frame_grade(frame)
        source = "frame"
    else:
        ref = {key: data.get(key) for key in ("analysis_id", "sample_id", "device_id")}
        sample = resolve_samples(organization_id=organization_id, refs=[ref], field="")[0]
        features = sample_features(sample)
        server_grade = sample.grade
        source = "sample"
    model = ml.active_model(organization_id=organization_id, task=task)
    if model is None:
        raise DomainError(
            f"No active model for task {task}: train one (POST /api/ai/training/) and activate it "
            "(POST /api/ai/models/{model_id}/activate/).",
            code="NO_ACTIVE_MODEL",
        )
    if list(model.features) != list(FEATURES):
        raise DomainError(
            f"The active model of {task} was not trained on the SQAL sample features.", code="MODEL_INCOMPATIBLE"
        )
    estimator = ml.load_estimator(model)
    X = [vector(features)]
    label = str(estimator.predict(X)[0])
    probabilities: dict[str, float] = {}
    confidence: float | None = None
    if hasattr(estimator, "predict_proba"):
        row = estimator.predict_proba(X)[0]
        probabilities = {str(c): round(float(p), 6) for c, p in zip(estimator.classes_, row, strict=True)}
        confidence = probabilities.get(label)
    reference = server_grade if (model.metrics or {}).get("label_source") == LabelSource.SERVER_GRADE else ""
    return ml.prediction_record(
        ctx,
        model=model,
        input_source=source,
        subject_type=SUBJECT_TYPE if sample is not None else "",
        subject_id=sample.pk if sample is not None else "",
        label=label,
        confidence=confidence,
        probabilities=probabilities,
        reference_label=reference if reference in GRADES else "",
        features=features,
    )
