"""Reads of the model registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from custos.ml.models import MLModel, ModelStatus


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


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def registry_metrics(
    *, organization_ids: Sequence[Any], task_prefix: str = "", task: str | None = None, job_types: Sequence[str] = ()
) -> dict[str, Any]:
    """Figures of the registry from what was recorded: model versions by status and the active ones with
    their held-out metrics, training runs (Jobs of ``job_types``) by outcome, datasets, and predictions
    (count, labels, mean confidence, agreement with the reference label, per model version). A fixed
    number of queries whatever the rows."""
    from django.db.models import Avg, Count, F, Q, Sum

    from custos.jobs.models import Job, JobStatus
    from custos.ml.models import Dataset, Prediction

    orgs = list(organization_ids)
    models = MLModel.objects.filter(organization_id__in=orgs)
    datasets = Dataset.objects.filter(organization_id__in=orgs)
    predictions = Prediction.objects.filter(organization_id__in=orgs)
    if task:
        models, datasets, predictions = (
            models.filter(task=task),
            datasets.filter(task=task),
            predictions.filter(task=task),
        )
    elif task_prefix:
        models = models.filter(task__startswith=task_prefix)
        datasets = datasets.filter(task__startswith=task_prefix)
        predictions = predictions.filter(task__startswith=task_prefix)

    by_status = dict(models.order_by().values_list("status").annotate(n=Count("id")))
    active = [
        {
            "id": str(m.pk),
            "name": m.name,
            "task": m.task,
            "version": m.version,
            "algorithm": m.algorithm,
            "samples": m.samples,
            "accuracy": (m.metrics or {}).get("accuracy"),
            "precision": (m.metrics or {}).get("precision"),
            "recall": (m.metrics or {}).get("recall"),
            "f1": (m.metrics or {}).get("f1"),
            "trained_at": m.trained_at.isoformat() if m.trained_at else None,
        }
        for m in models.filter(is_active=True).order_by("task", "scope")
    ]

    jobs = Job.objects.filter(organization_id__in=orgs, job_type__in=list(job_types))
    job_counts = dict(jobs.order_by().values_list("status").annotate(n=Count("id")))
    durations = jobs.filter(status=JobStatus.SUCCESS, duration_seconds__isnull=False).aggregate(
        average=Avg("duration_seconds")
    )
    running = sum(job_counts.get(s, 0) for s in (JobStatus.STARTED, JobStatus.PROGRESS, JobStatus.RETRY))

    dataset_figures = datasets.aggregate(total=Count("id"), rows=Sum("size"))

    overall = predictions.aggregate(
        total=Count("id"),
        confidence=Avg("confidence"),
        compared=Count("id", filter=~Q(reference_label="")),
        agreed=Count("id", filter=~Q(reference_label="") & Q(reference_label=F("label"))),
    )
    labels = predictions.order_by("label").values("label").annotate(count=Count("id"))
    per_model = (
        predictions.order_by("task", "model_version")
        .values("model_id", "task", "model_version")
        .annotate(
            count=Count("id"),
            confidence=Avg("confidence"),
            compared=Count("id", filter=~Q(reference_label="")),
            agreed=Count("id", filter=~Q(reference_label="") & Q(reference_label=F("label"))),
        )
    )
    return {
        "models": {
            "total": sum(by_status.values()),
            "by_status": {status: int(by_status.get(status, 0)) for status in ModelStatus.values},
            "active": active,
        },
        "training": {
            "total": sum(job_counts.values()),
            "succeeded": int(job_counts.get(JobStatus.SUCCESS, 0)),
            "failed": int(job_counts.get(JobStatus.FAILURE, 0)),
            "cancelled": int(job_counts.get(JobStatus.CANCELLED, 0) + job_counts.get(JobStatus.REVOKED, 0)),
            "pending": int(job_counts.get(JobStatus.PENDING, 0)),
            "running": int(running),
            "average_duration_seconds": round(durations["average"], 3) if durations["average"] is not None else None,
        },
        "datasets": {"total": int(dataset_figures["total"] or 0), "rows": int(dataset_figures["rows"] or 0)},
        "predictions": {
            "total": int(overall["total"] or 0),
            "average_confidence": round(overall["confidence"], 6) if overall["confidence"] is not None else None,
            "by_label": [{"label": row["label"], "count": row["count"]} for row in labels],
            "reference_agreement": {
                "compared": int(overall["compared"] or 0),
                "agreed": int(overall["agreed"] or 0),
                "rate": _ratio(int(overall["agreed"] or 0), int(overall["compared"] or 0)),
            },
            "by_model": [
                {
                    "model_id": str(row["model_id"]) if row["model_id"] else None,
                    "task": row["task"],
                    "version": row["model_version"],
                    "count": row["count"],
                    "average_confidence": round(row["confidence"], 6) if row["confidence"] is not None else None,
                    "agreement_rate": _ratio(row["agreed"], row["compared"]),
                }
                for row in per_model
            ],
        },
    }
