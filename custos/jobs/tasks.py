"""Celery tasks that run user-visible jobs, and their base class.

``JobTask`` keeps the Job row in step with Celery: started (with the worker's name), progress (also
stored as Celery's ``PROGRESS`` state), success, failure, retry, cancellation. Tasks take only the job
id, read their parameters from the row, and are idempotent: a second delivery of a finished or
cancelled job does nothing, and a job left running by a dead worker simply runs again (acks are late,
so the broker redelivers it) and counts one retry.

``custos.jobs.services`` queues these tasks by name (``job_enqueue``) and never imports this module;
the tasks are registered when the jobs app is ready (``JobsConfig.ready``), so the dependency runs one
way only: tasks -> services.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from typing import Any

import orjson
from celery import Task, shared_task, states
from celery.exceptions import Ignore, Retry

from custos.jobs import services
from custos.jobs.models import Job, JobStatus
from custos.kernel.context import WriteContext

_sleep = time.sleep  # the long task's clock (tests replace it)


class JobCancelled(Exception):
    """Raised inside a task by ``progress`` when its job has been cancelled."""


class JobTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    job: Job | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        job_id = kwargs.get("job_id")
        job = services.job_start(
            WriteContext.system(),
            job_id=job_id,
            worker=self.request.hostname or "eager",
            celery_retries=self.request.retries or 0,
        )
        if job is None:  # unknown, already finished or cancelled: nothing to do (idempotent redelivery)
            self._set_state(states.REVOKED, {"reason": "finished or cancelled"})
            raise Ignore()
        self.job = job
        try:
            result = self.run(*args, **kwargs)
        except JobCancelled:
            services.job_finish(WriteContext.system(), job_id=job.id, status=JobStatus.CANCELLED)
            self._set_state(states.REVOKED, {"reason": "cancelled"})
            raise Ignore() from None
        except Retry as exc:
            services.job_retrying(WriteContext.system(), job=job, error=str(exc))
            raise
        except Exception as exc:
            services.job_finish(
                WriteContext.system(), job_id=job.id, status=JobStatus.FAILURE, error=f"{type(exc).__name__}: {exc}"
            )
            raise
        finally:
            self.job = None
        if isinstance(result, JobResult):
            services.job_finish(
                WriteContext.system(),
                job_id=job.id,
                status=JobStatus.SUCCESS,
                result=result.data,
                result_file=result.file,
                result_filename=result.filename,
            )
            return result.data
        services.job_finish(WriteContext.system(), job_id=job.id, status=JobStatus.SUCCESS, result=result)
        return result

    def _set_state(self, state: str, meta: dict[str, Any]) -> None:
        if self.request.id and not self.request.is_eager:
            self.update_state(state=state, meta=meta)

    def progress(self, current: int, total: int, message: str = "") -> None:
        """Record progress; stops the task (``JobCancelled``) when its job has been cancelled."""
        if self.job is None:
            return
        if services.job_progress(WriteContext.system(), job=self.job, current=current, total=total, message=message):
            raise JobCancelled()
        self._set_state("PROGRESS", {"current": current, "total": total, "message": message})


class JobResult:
    """A task result that also names a produced file (relative to MEDIA_ROOT)."""

    def __init__(self, data: Any, *, file: str = "", filename: str = "") -> None:
        self.data, self.file, self.filename = data, file, filename


def _parameters(job_id: str) -> dict[str, Any]:
    return Job.objects.filter(pk=job_id).values_list("parameters", flat=True).first() or {}


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**53 else value


@shared_task(bind=True, base=JobTask, name="custos.jobs.add")
def add(self: JobTask, *, job_id: str) -> Any:
    """The access template's math task: x + y."""
    params = _parameters(job_id)
    return _number(params["x"] + params["y"])


@shared_task(bind=True, base=JobTask, name="custos.jobs.long")
def long_running(self: JobTask, *, job_id: str) -> Any:
    """A long task: ``duration`` one-second steps, each recorded as progress and a cancellation point."""
    duration = int(_parameters(job_id)["duration"])
    for step in range(duration):
        self.progress(step, duration, f"Step {step + 1} of {duration}")
        _sleep(1)
    self.progress(duration, duration, "Done")
    return {"duration": duration, "steps": duration}


def _summary(values: list[float]) -> dict[str, Any]:
    count = len(values)
    mean = sum(values) / count
    variance = sum((v - mean) ** 2 for v in values) / count
    ordered = sorted(values)
    middle = count // 2
    median = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {
        "count": count,
        "sum": _number(sum(values)),
        "mean": mean,
        "median": _number(median),
        "min": _number(ordered[0]),
        "max": _number(ordered[-1]),
        "std": math.sqrt(variance),
    }


def _walk(value: Any, numbers: list[float], kinds: Counter, keys: Counter) -> None:
    kinds[type(value).__name__] += 1
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        numbers.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            keys[key] += 1
            _walk(item, numbers, kinds, keys)
    elif isinstance(value, list):
        for item in value:
            _walk(item, numbers, kinds, keys)


@shared_task(bind=True, base=JobTask, name="custos.jobs.process")
def process(self: JobTask, *, job_id: str) -> Any:
    """Data processing: a structural and numeric profile of the submitted JSON document."""
    data = _parameters(job_id)["data"]
    self.progress(0, 2, "Profiling")
    numbers: list[float] = []
    kinds: Counter = Counter()
    keys: Counter = Counter()
    _walk(data, numbers, kinds, keys)
    self.progress(1, 2, "Summarising")
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    result: dict[str, Any] = {
        "items": len(data) if isinstance(data, (list, dict, str)) else 1,
        "value_types": dict(sorted(kinds.items())),
        "keys": dict(sorted(keys.items())),
        "numbers": _summary(numbers) if numbers else None,
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "size_bytes": len(canonical),
    }
    if isinstance(data, str):
        result["text"] = {"characters": len(data), "words": len(data.split()), "lines": len(data.splitlines())}
    return result


@shared_task(bind=True, base=JobTask, name="custos.jobs.health_report")
def health_report(self: JobTask, *, job_id: str) -> Any:
    """twin ``start_report``: the device health report file (see ``custos.jobs.exports``)."""
    from custos.jobs.exports import write_health_report

    job = Job.objects.select_related("organization", "owner").get(pk=job_id)
    self.progress(0, 2, "Measuring")
    stored, health = write_health_report(job=job, days=int(job.parameters.get("days", 7)))
    self.progress(1, 2, "Written")
    data = {
        "status": "SUCCESS",
        "report_path": f"/reports/{stored.filename}",
        "filename": stored.filename,
        "health": health,
    }
    return JobResult(data, file=stored.path, filename=stored.filename)


@shared_task(bind=True, base=JobTask, name="custos.jobs.export_data")
def export_data(self: JobTask, *, job_id: str) -> Any:
    """twin ``export_data``: the organization's readings over ``days`` as JSON or CSV."""
    from custos.jobs.exports import write_export

    job = Job.objects.select_related("organization", "owner").get(pk=job_id)
    self.progress(0, 1, "Exporting")
    stored = write_export(job=job, days=int(job.parameters["days"]), file_format=job.parameters["format"])
    data = {
        "status": "SUCCESS",
        "export_path": f"/exports/{stored.filename}",
        "filename": stored.filename,
        "rows": stored.rows,
    }
    return JobResult(data, file=stored.path, filename=stored.filename)


@shared_task(name="custos.jobs.requeue_unqueued")
def requeue_unqueued() -> int:
    """Beat entry ``requeue-unqueued-jobs``: queue committed jobs that never reached the queue."""
    return services.jobs_requeue_unqueued()
