"""Inputs and presenters of ``/api/ai/*`` (sqal conventions: bodies in camelCase or snake_case, answers
in camelCase; the keys inside ``parameters``, ``features`` and ``frame`` are kept as written)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from custos.jobs.models import Job
from custos.ml import training
from custos.ml.models import Dataset, MLModel, Prediction
from custos.modules.quality.analysis import GRADES

# Keys whose values the sqal parser and renderer leave as written (hyper-parameter, feature, sensor names).
CAMEL_IGNORE = ("parameters", "features", "frame")
MAX_LABELS = training.MAX_TRAINING_ROWS
MAX_PARAMETERS = 20


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- inputs ---------------------------------------------------------------------------------------


class ParametersField(serializers.DictField):
    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if len(value) > MAX_PARAMETERS:
            raise serializers.ValidationError(f"At most {MAX_PARAMETERS} parameters.")
        return value


class ModelCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    task = serializers.CharField(max_length=64, required=False, help_text="e.g. grade (stored as sqal.grade)")
    algorithm = serializers.ChoiceField(choices=sorted(training.ALGORITHMS), required=False)
    parameters = ParametersField(required=False, help_text="Hyper-parameters of the algorithm (see docs/sqal-ai.md)")


class ModelUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    algorithm = serializers.ChoiceField(choices=sorted(training.ALGORITHMS), required=False)
    parameters = ParametersField(required=False)


class SampleRefInput(serializers.Serializer):
    analysis_id = serializers.UUIDField(required=False, help_text="The stored sample's id (analysis history id)")
    sample_id = serializers.CharField(max_length=100, required=False, help_text="The station's sample id")
    device_id = serializers.CharField(max_length=64, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("analysis_id")) == bool(attrs.get("sample_id")):
            raise serializers.ValidationError("Name the sample by exactly one of analysisId or sampleId.")
        return attrs


class LabelInput(SampleRefInput):
    label = serializers.CharField(max_length=64)  # type: ignore[assignment] # a field, not Field.label


class DatasetFiltersInput(serializers.Serializer):
    device_id = serializers.CharField(max_length=64, required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)
    grades = serializers.ListField(child=serializers.ChoiceField(choices=GRADES), required=False, max_length=5)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
        return attrs


class DatasetCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    task = serializers.CharField(max_length=64, required=False)
    filters = DatasetFiltersInput(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=training.MAX_TRAINING_ROWS, required=False)
    labels = serializers.ListField(child=LabelInput(), required=False, allow_empty=False, max_length=MAX_LABELS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("labels") and (attrs.get("filters") or attrs.get("limit")):
            raise serializers.ValidationError(
                "Either labels (the samples named, with operator labels) or filters/limit (server grades)."
            )
        return attrs


class TrainingCreateInput(serializers.Serializer):
    dataset_id = serializers.UUIDField()
    model_id = serializers.UUIDField(required=False)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    algorithm = serializers.ChoiceField(choices=sorted(training.ALGORITHMS), required=False)
    parameters = ParametersField(required=False)
    test_size = serializers.FloatField(
        min_value=training.TEST_SIZE_MIN, max_value=training.TEST_SIZE_MAX, required=False
    )
    activate = serializers.BooleanField(required=False, default=False)


class PredictInput(SampleRefInput):
    task = serializers.CharField(max_length=64, required=False, help_text="default grade (sqal.grade)")
    frame = serializers.DictField(
        required=False, help_text="A sensor_data frame's vl53l8ch and as7341 blocks (other keys are ignored)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("analysis_id", "sample_id", "frame") if attrs.get(name) not in (None, "")]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of analysisId, sampleId (with deviceId) or frame.")
        return attrs


# --- presenters -----------------------------------------------------------------------------------


def model_item(model: MLModel) -> dict[str, Any]:
    return {
        "id": str(model.pk),
        "name": model.name or f"{model.task} v{model.version}",
        "description": model.description,
        "task": model.task,
        "scope": model.scope,
        "version": model.version,
        "algorithm": model.algorithm,
        "status": model.status,
        "is_active": model.is_active,
        "parameters": model.parameters,
        "features": model.features,
        "metrics": model.metrics,
        "samples": model.samples,
        "dataset_id": str(model.dataset_id) if model.dataset_id else None,
        "job_id": model.job_id or None,
        "error": model.error or None,
        "trained_from": _iso(model.trained_from),
        "trained_to": _iso(model.trained_to),
        "trained_at": _iso(model.trained_at),
        "created_at": _iso(model.created_at),
        "updated_at": _iso(model.updated_at),
    }


def dataset_item(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "description": dataset.description,
        "task": dataset.task,
        "source": dataset.source,
        "label_source": dataset.label_source,
        "filters": dataset.filters,
        "size": dataset.size,
        "class_counts": [{"label": k, "count": v} for k, v in sorted((dataset.class_counts or {}).items())],
        "window_start": _iso(dataset.window_start),
        "window_end": _iso(dataset.window_end),
        "created_at": _iso(dataset.created_at),
    }


def training_item(job: Job) -> dict[str, Any]:
    params = job.parameters or {}
    return {
        "id": job.task_id,
        "status": job.status,
        "progress": {
            "current": job.progress_current,
            "total": job.progress_total,
            "percent": job.percent,
            "message": job.progress_message,
        },
        "model_id": params.get("model_id"),
        "dataset_id": params.get("dataset_id"),
        "test_size": params.get("test_size"),
        "activate": params.get("activate", False),
        "result": job.result,
        "error": job.error or None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.completed_at),
        "duration_seconds": job.duration_seconds,
    }


def prediction_item(prediction: Prediction, *, sample: Any = None) -> dict[str, Any]:
    return {
        "id": str(prediction.pk),
        "model_id": str(prediction.model_id) if prediction.model_id else None,
        "model_version": prediction.model_version,
        "task": prediction.task,
        "label": prediction.label,
        "confidence": prediction.confidence,
        "probabilities": [
            {"label": label, "probability": p}
            for label, p in sorted((prediction.probabilities or {}).items(), key=lambda item: (-item[1], item[0]))
        ],
        "input": {
            "source": prediction.input_source,
            "analysis_id": prediction.subject_id or None,
            "sample_id": getattr(sample, "sample_id", None),
            "device_id": getattr(getattr(sample, "device", None), "device_id", None),
        },
        "reference_label": prediction.reference_label or None,
        "features": prediction.features,
        "created_at": _iso(prediction.created_at),
    }


def presenter(function: Any) -> type[serializers.Serializer]:
    """An output serializer that shows a row through ``function`` (named ``Sqal<Name>`` in the schema)."""

    class Presenter(serializers.Serializer):
        def to_representation(self, instance: Any) -> Any:
            return function(instance)

    Presenter.__name__ = Presenter.__qualname__ = "SqalAi" + function.__name__.title().replace("_", "")
    return Presenter
