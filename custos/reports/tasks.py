"""Celery tasks of the report app: the generation Job and the beat task that starts due schedules."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.jobs.models import Job
from custos.jobs.tasks import JobCancelled, JobTask
from custos.reports import services
from custos.reports.models import Report

RUN_DUE_TASK = "custos.reports.run_due_schedules"


@shared_task(bind=True, base=JobTask, name=services.GENERATE_TASK)
def generate(self: JobTask, *, job_id: str) -> dict[str, Any]:
    """Generate one report (its id is the job's ``report_id`` parameter). A report deleted before its
    job ran ends the job as cancelled: there is nothing left to generate."""
    parameters = Job.objects.filter(pk=job_id).values_list("parameters", flat=True).first() or {}
    if not Report.objects.filter(pk=parameters.get("report_id")).exists():
        raise JobCancelled()
    return services.report_generate(report_id=parameters["report_id"], progress=self.progress)


@shared_task(name=RUN_DUE_TASK)
def run_due_schedules() -> list[str]:
    """Every minute (beat): start the reports of the schedules whose time has come."""
    return services.schedules_run_due()
