"""The training Job of the SQAL AI (registered with Celery when ``ai/demo.py`` is imported by
``QualityConfig.ready``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.jobs.tasks import JobCancelled, JobTask
from custos.modules.quality.ai import services
from custos.modules.quality.ai.services import TRAIN_TASK


@shared_task(bind=True, base=JobTask, name=TRAIN_TASK)
def train_model(self: JobTask, *, job_id: str) -> dict[str, Any]:
    """Train the job's model on the job's dataset; a failed or cancelled run leaves the version
    ``failed`` (with the reason) or back in ``draft``."""
    try:
        return services.training_execute(job_id=job_id, progress=self.progress)
    except JobCancelled:
        services.training_abandoned(job_id=job_id, error="The training was cancelled.", cancelled=True)
        raise
    except Exception as exc:
        message = getattr(exc, "message", None) or str(exc)
        services.training_abandoned(job_id=job_id, error=f"{type(exc).__name__}: {message}")
        raise
