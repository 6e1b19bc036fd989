"""``custos demo``: a trained, active quality model (registered with ``register_demo``).

Runs after the samples demo (order 300): for every organization with stored samples and no active
``sqal.grade`` model, a dataset of its samples labelled with the server's grades and a random forest
trained on it by the training Job (run in this process), then activated. Idempotent: an organization
that has an active grade model is left alone.

Importing this module (``QualityConfig.ready``) also registers the training task with Celery.
"""

from __future__ import annotations

from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.kernel.errors import ValidationFailed
from custos.ml.models import MLModel
from custos.modules.quality.ai import services, tasks
from custos.modules.quality.models import QualitySample
from custos.orgs.models import Organization

MIN_SAMPLES = 20


@register_demo("sqal-ai", order=310)
def load_ai_model() -> str:
    organizations = Organization.objects.filter(
        pk__in=QualitySample.objects.values("organization_id").distinct()
    ).order_by("slug")
    if not organizations:
        return "no stored quality samples (run the samples demo first): skipped"
    summaries = []
    for organization in organizations:
        active = MLModel.objects.filter(organization=organization, task=services.DEFAULT_TASK, is_active=True).first()
        if active is not None:
            summaries.append(f"{organization.slug}: active model v{active.version} kept")
            continue
        count = QualitySample.objects.filter(organization=organization).count()
        if count < MIN_SAMPLES:
            summaries.append(f"{organization.slug}: {count} samples, too few to train: skipped")
            continue
        ctx = WriteContext.system(organization_id=organization.pk)
        dataset = services.dataset_build(
            ctx, data={"name": "Demo: graded samples", "description": "Every stored sample with its server grade."}
        )
        try:
            job = services.training_create(
                ctx,
                data={"dataset_id": dataset.pk, "name": "Demo grade classifier", "activate": True},
            )
        except ValidationFailed as exc:
            summaries.append(f"{organization.slug}: cannot train ({exc.field_errors or exc.message}): skipped")
            continue
        result = tasks.train_model.apply(kwargs={"job_id": job.task_id}, task_id=job.task_id)
        if not result.successful():
            summaries.append(f"{organization.slug}: training failed ({result.result}): skipped")
            continue
        outcome = result.result
        summaries.append(
            f"{organization.slug}: model v{outcome['version']} trained on {outcome['samples']} samples, "
            f"held-out accuracy {outcome['metrics']['accuracy']:.3f}, active"
        )
    return "; ".join(summaries)
