"""Reads of the model registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from custos.ml.models import MLModel


def models_for(*, organization_ids: Sequence[Any], task: str | None = None) -> QuerySet[MLModel]:
    queryset = MLModel.objects.filter(organization_id__in=list(organization_ids))
    return queryset.filter(task=task) if task else queryset


def model_summary(model: MLModel | None) -> dict[str, Any] | None:
    """The model as answers name it: ``{id, task, scope, version, algorithm, trained_on, metrics}``."""
    if model is None:
        return None
    return {
        "id": str(model.pk),
        "task": model.task,
        "scope": model.scope,
        "version": model.version,
        "algorithm": model.algorithm,
        "trained_on": {
            "start": model.trained_from.isoformat().replace("+00:00", "Z") if model.trained_from else None,
            "end": model.trained_to.isoformat().replace("+00:00", "Z") if model.trained_to else None,
            "samples": model.samples,
        },
        "metrics": model.metrics,
    }
