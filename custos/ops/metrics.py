"""Prometheus collectors that read shared state, so every server process reports the same figures.

Request and database metrics come from django-prometheus (per process). Job figures are read from the
job results table at scrape time: jobs run in other processes (the worker), so counters kept in the
server's memory would never see them.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector


def _job_family() -> GaugeMetricFamily:
    return GaugeMetricFamily("custos_jobs", "Jobs recorded in the results table, by state", labels=["state"])


class JobCollector(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield _job_family()  # registration asks for names only: no query at start-up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError
        from django.db.models import Count
        from django_celery_results.models import TaskResult

        family = _job_family()
        try:
            rows = TaskResult.objects.values_list("status").annotate(total=Count("id")).order_by()
            for state, total in rows:
                family.add_metric([state], total)
        except DatabaseError:  # no table yet (before migrate) or the database is down: report nothing
            return
        yield family


_registered = False


def register_collectors() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(JobCollector())
        _registered = True


def metrics_view(request: object) -> object:
    """``/metrics``: every process's samples in multiprocess mode (``custos.ops.multiprocess``), plus the
    job figures read from the database; this process's registry otherwise."""
    import os

    import prometheus_client
    from django.http import HttpResponse
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(JobCollector())
    else:
        registry = REGISTRY
    return HttpResponse(prometheus_client.generate_latest(registry), content_type=prometheus_client.CONTENT_TYPE_LATEST)
