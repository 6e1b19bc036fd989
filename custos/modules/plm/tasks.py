"""Background work of the PLM domain: a design's processing, as a Job the uploader can watch."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.jobs.models import Job
from custos.jobs.tasks import JobTask
from custos.modules.plm.services.processing import design_process


@shared_task(bind=True, base=JobTask, name="plm.process_design")
def process_design(self: JobTask, *, job_id: str) -> dict[str, Any]:
    parameters = Job.objects.filter(pk=job_id).values_list("parameters", flat=True).first() or {}
    return design_process(design_id=parameters["design_id"], progress=self.progress)
