"""A worker killed mid-job (SIGKILL, no clean shutdown) leaves its job to be retried, not lost.

Real processes on the embedded queue: a worker takes a long job, is killed with its whole process
group, and a new worker gets the message again once the dead worker's lease has expired; the job then
succeeds and records one retry.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.test_config import ROOT, _clean_env, _custos

CREATE = (
    "from django.contrib.auth import get_user_model; from custos.jobs.services import job_create; "
    "from custos.kernel.context import WriteContext; "
    "u = get_user_model().objects.create_user(email='kim@example.org', password='a-long-test-password'); "
    "j = job_create(WriteContext.for_user(u), organization_id=None, job_type='long', task_name='custos.jobs.long', "
    "parameters={'duration': 5}); print(j.id)"
)


def _job(home, job_id: str) -> tuple[str, int, int, str]:
    with sqlite3.connect(home / "custos.sqlite3", timeout=30) as db:
        row = db.execute(
            "SELECT status, retries, progress_current, worker FROM jobs_job WHERE id = ?", (job_id.replace("-", ""),)
        ).fetchone()
    return tuple(row)


def _worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "custos", "worker", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_job_whose_worker_is_killed_is_retried_by_the_next_worker(tmp_path):
    env = _clean_env(tmp_path, CUSTOS_QUEUE_VISIBILITY_TIMEOUT="3", CUSTOS_EMBEDDED_WORKER="false")
    home = tmp_path / "home"
    assert _custos("migrate", env=env, timeout=180).returncode == 0
    created = _custos("manage", "shell", "-c", CREATE, env=env, timeout=120)
    assert created.returncode == 0, created.stderr
    job_id = created.stdout.strip().splitlines()[-1]
    assert _job(home, job_id)[0] == "PENDING"

    with (tmp_path / "first.log").open("w") as log:
        first = _worker(env, log)
        try:
            _wait(lambda: _job(home, job_id)[0] == "PROGRESS" and _job(home, job_id)[2] >= 1, 90, "the job to run")
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool child die at once
            first.wait(timeout=30)
    status, retries, _current, first_worker = _job(home, job_id)
    assert (status, retries) == ("PROGRESS", 0), "nobody finished or failed it"

    with (tmp_path / "second.log").open("w") as log:
        second = _worker(env, log)
        try:
            _wait(lambda: _job(home, job_id)[0] == "SUCCESS", 120, (tmp_path / "second.log").read_text)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    status, retries, current, worker = _job(home, job_id)
    assert (status, retries, current) == ("SUCCESS", 1, 5)
    assert first_worker and worker
    with sqlite3.connect(home / "queue.sqlite3") as queue:
        assert queue.execute("SELECT COUNT(*) FROM kombu_message").fetchone() == (0,), "acknowledged and deleted"


CANCEL = (
    "from custos.jobs.models import Job; from custos.jobs.services import job_cancel; "
    "from custos.kernel.context import WriteContext; "
    "job = Job.objects.get(pk='{job_id}'); job_cancel(WriteContext.for_user(job.owner), job); print('cancelled')"
)
SECOND = (
    "from django.contrib.auth import get_user_model; from custos.jobs.services import job_create; "
    "from custos.kernel.context import WriteContext; "
    "u = get_user_model().objects.get(email='kim@example.org'); "
    "print(job_create(WriteContext.for_user(u), organization_id=None, job_type='add', task_name='custos.jobs.add', "
    "parameters={{'x': 5, 'y': 3}}).id)"
)


@pytest.mark.slow
def test_cancelling_a_running_job_stops_it_in_the_worker(tmp_path):
    env = _clean_env(tmp_path, CUSTOS_EMBEDDED_WORKER="false")
    home = tmp_path / "home"
    assert _custos("migrate", env=env, timeout=180).returncode == 0
    created = _custos("manage", "shell", "-c", CREATE.replace("'duration': 5", "'duration': 600"), env=env, timeout=120)
    assert created.returncode == 0, created.stderr
    job_id = created.stdout.strip().splitlines()[-1]
    with (tmp_path / "worker.log").open("w") as log:
        worker = _worker(env, log)
        try:
            _wait(lambda: _job(home, job_id)[2] >= 1, 90, "the long job to make progress")
            cancelled = _custos("manage", "shell", "-c", CANCEL.format(job_id=job_id), env=env, timeout=120)
            assert cancelled.stdout.strip().endswith("cancelled"), cancelled.stderr
            # The single worker slot is free again only if the 600-step task stopped: a new job runs.
            second = _custos("manage", "shell", "-c", SECOND.format(), env=env, timeout=120)
            second_id = second.stdout.strip().splitlines()[-1]
            _wait(lambda: _job(home, second_id)[0] == "SUCCESS", 90, "the next job")
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    status, _retries, current, _worker_name = _job(home, job_id)
    assert status == "CANCELLED"
    assert current < 600
