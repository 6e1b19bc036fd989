"""Jobs of the twin analytics: training (a Job per organization) and the periodic runs."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.jobs.models import Job
from custos.jobs.tasks import JobTask
from custos.kernel.context import WriteContext
from custos.ml.services import training_start
from custos.modules.twin import services

TRAIN_TASK = "twin.train_models"
TRAIN_JOB_TYPE = "twin.train_models"


@shared_task(bind=True, base=JobTask, name=TRAIN_TASK)
def train_models(self: JobTask, *, job_id: str) -> dict[str, Any]:
    """Train the anomaly models (per device type) and the failure model of the job's organization."""
    job = Job.objects.get(pk=job_id)
    days = int((job.parameters or {}).get("days", services.TRAIN_DAYS))
    return services.train_all(
        WriteContext.system(organization_id=job.organization_id),
        organization_id=job.organization_id,
        days=days,
        job_id=job.task_id,
        progress=self.progress,
    )


@shared_task(name="twin.retrain_models_periodic")
def retrain_models_periodic() -> list[str]:
    """Queue a training Job for every organization that has devices."""
    from custos.devices.models import Device

    started = []
    for organization_id in Device.objects.values_list("organization_id", flat=True).distinct():
        job = training_start(
            WriteContext.system(organization_id=organization_id),
            organization_id=organization_id,
            task_name=TRAIN_TASK,
            parameters={"days": services.TRAIN_DAYS},
            job_type=TRAIN_JOB_TYPE,
        )
        started.append(job.task_id)
    return started


@shared_task(name="twin.update_health_scores")
def update_health_scores() -> dict[str, int]:
    """Score every device (a ``HealthRecord`` each), then drop the health history past its retention."""
    scored = services.health_scores_update_all()
    return {"scored": scored, "pruned": services.health_records_prune()}
