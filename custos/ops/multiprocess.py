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
