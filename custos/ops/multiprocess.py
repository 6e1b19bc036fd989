"""Prometheus multiprocess mode for ``custos serve --workers N`` (N > 1) and its job worker.

prometheus_client picks its value store when it is first imported, so the directory must be in the
environment before Django starts: ``custos serve`` calls :func:`prepare` first. Every process (server
workers, the embedded job worker) then writes its samples to files in that directory, and ``/metrics``
(``custos.ops.metrics.metrics_view``) merges the files of all of them: one scrape sees every process.
This module must not import prometheus_client.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(workers: int) -> Path | None:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` when more than one server process will run, and return it.

    Unless set already, it is ``$CUSTOS_HOME/run/prometheus``, this command's own, emptied of a previous
    run's files. A directory set in the environment may be shared by several ``custos serve`` commands of
    one machine, so it is left as it is: whoever sets it empties it before the first of them starts (the
    prometheus_client rule)."""
    configured = os.environ.get(ENV)
    if workers <= 1 and not configured:
        return None
    directory = Path(configured or Path(os.environ.get("CUSTOS_HOME") or Path.cwd() / "var") / "run" / "prometheus")
    directory.mkdir(parents=True, exist_ok=True)
    if not configured:
        for stale in directory.glob("*.db"):  # samples of processes that no longer exist
            stale.unlink(missing_ok=True)
    os.environ[ENV] = str(directory)
    return directory


def _pools_of(connection: Any) -> dict[str, Any] | None:
    """Django's pools of the PostgreSQL backend (a class attribute, one per alias), or ``None``."""
    pools = getattr(type(connection), "_connection_pools", None)
    return pools if isinstance(pools, dict) else None


def release_database_connections() -> None:
    """Close this process's database connections and connection pools before it forks (Granian's server
    workers, Celery's prefork pool). A child must never share its parent's sockets, and the threads of a
    psycopg pool do not survive a fork: a child holding its parent's pool would wait forever the first
    time the pool has to open a connection (after a database restart, say). Each process then opens its
    own pool on first use."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        pools = _pools_of(connection)
        if pools is not None and connection.alias in pools:
            connection.close_pool()  # type: ignore[attr-defined]  # the PostgreSQL backend's


# What a forked child inherited of its parent's connections: kept referenced and never closed, since
# closing them would end the parent's sessions on the server (libpq says goodbye on the shared socket).
_INHERITED: list[Any] = []


def set_aside_inherited_connections() -> None:
    """In a freshly forked child: stop using the parent's connections and pools, without closing them,
    so this process opens its own pool (with its own threads) on first use."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _INHERITED.append(connection.connection)
            connection.connection = None
        pools = _pools_of(connection)
        if pools is not None and connection.alias in pools:
            _INHERITED.append(pools.pop(connection.alias))
