"""Test builder for jobs (a plain function: see ``tests/factories.py``). Nothing is queued."""

from __future__ import annotations

from typing import Any

from custos.jobs.models import Job, JobStatus


def job(
    *,
    owner: Any,
    organization: Any = None,
    job_type: str = "test",
    task_name: str = "custos.ops.ping",
    status: str = JobStatus.PENDING,
    **values: Any,
) -> Job:
    """A saved job row of ``owner`` (in ``organization``, or personal without one); no task is sent."""
    return Job.objects.create(
        owner=owner, organization=organization, job_type=job_type, task_name=task_name, status=status, **values
    )
