"""Celery signals that keep Job rows in step with what happens outside a running task."""

from __future__ import annotations

from typing import Any

from celery.signals import task_revoked

from custos.jobs.models import JobStatus


@task_revoked.connect
def job_revoked(
    sender: Any = None, request: Any = None, terminated: bool = False, expired: bool = False, **_: Any
) -> None:
    """A job revoked through Celery (``celery control revoke``, an expired message) will not run."""
    from custos.jobs.services import job_finish
    from custos.kernel.context import WriteContext

    task_id = getattr(request, "id", None)
    if task_id:
        reason = "expired" if expired else ("terminated" if terminated else "revoked")
        job_finish(
            WriteContext.system(), job_id=task_id, status=JobStatus.REVOKED, error=f"The task was {reason} in Celery."
        )
