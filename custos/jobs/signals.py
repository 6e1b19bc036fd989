"""Celery signals that keep Job rows in step with what happens outside a running task."""

from __future__ import annotations

from typing import Any

from celery.signals import task_revoked, worker_init, worker_process_init

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


@worker_init.connect
def release_connections_before_the_pool_forks(**_: Any) -> None:
    """The worker's main process, before its prefork pool starts: no database connection or pool is
    handed down to the children (``custos.ops.multiprocess``)."""
    from custos.ops.multiprocess import release_database_connections

    release_database_connections()


@worker_process_init.connect
def open_own_connections_in_the_child(**_: Any) -> None:
    """A pool child, forked at start or later (a child that died is replaced by a fork of the main
    process, which may hold connections by then, e.g. the beat scheduler's): it sets aside whatever it
    inherited and opens its own pool."""
    from custos.ops.multiprocess import set_aside_inherited_connections

    set_aside_inherited_connections()
