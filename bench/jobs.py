"""How many jobs per second do Custos's queues carry? Embedded (SQLite) and RabbitMQ, beside bare Celery.

For each broker this script measures, in one run, on 127.0.0.1 only:

  bare    a minimal Celery app (no Django, no database, results ignored) and a no-op task: the
          ceiling the broker and Celery's own machinery allow;
  custos  Custos jobs end to end: ``job_create`` (Job row + audit row, queued after commit), a
          ``custos worker`` running ``custos.jobs.add`` through ``JobTask`` (Job row started,
          progress, success; django-db result row), until every job of the batch is SUCCESS.

Both sides use one worker process with concurrency 1 (prefork), late acks and prefetch 1, as the
settings do; the clock runs from the first publish to the last completion. The database is a fresh
SQLite file under a temporary CUSTOS_HOME for both brokers, so the broker is what differs. The
RabbitMQ rows are skipped (with the reason printed) when nothing listens on 127.0.0.1:5672.

Run it from the repository root::

    .venv/bin/python bench/jobs.py                 # 200 jobs per row, about a minute
    .venv/bin/python bench/jobs.py --jobs 500 --only embedded

Exit status 0 after printing the table, 1 when a worker fails or a batch does not finish in time.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
TIMEOUT = 300.0

# --- the bare Celery app (imported by its worker as ``bench.jobs:bare_app``) ----------------------
bare_app = None
if os.environ.get("BENCH_BARE_BROKER"):
    from celery import Celery
    from kombu.transport import TRANSPORT_ALIASES

    TRANSPORT_ALIASES["sqla"] = "custos.jobs.broker:Transport"
    bare_app = Celery("bench_bare", broker=os.environ["BENCH_BARE_BROKER"])
    bare_app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_default_queue=os.environ["BENCH_QUEUE"],
        broker_transport_options={"polling_interval": 0.2}
        if os.environ["BENCH_BARE_BROKER"].startswith("sqla")
        else {},
        worker_hijack_root_logger=False,
    )

    @bare_app.task(name="bench.noop")
    def noop(marker: str | None = None) -> None:
        if marker:
            Path(marker).write_text("done")


def _wait(predicate, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench/jobs.py: timed out waiting for {what}")
        time.sleep(0.01)


def _delete_queue(broker: str, queue: str) -> None:
    if broker.startswith("amqp"):
        from kombu import Connection

        with Connection(broker) as connection:
            connection.default_channel.queue_delete(queue)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _env(home: Path, broker: str, queue: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        CUSTOS_HOME=str(home),
        CELERY_BROKER_URL=broker,
        CUSTOS_QUEUE=queue,
        CUSTOS_EMBEDDED_WORKER="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return env


def run_bare(broker: str, jobs: int, home: Path) -> float:
    queue = f"bench-bare-{secrets.token_hex(4)}"
    env = _env(home, broker, queue) | {"BENCH_BARE_BROKER": broker, "BENCH_QUEUE": queue}
    os.environ.update({"BENCH_BARE_BROKER": broker, "BENCH_QUEUE": queue})
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bench.jobs:bare_app", "worker", "-c", "1", "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        from kombu.transport import TRANSPORT_ALIASES

        TRANSPORT_ALIASES["sqla"] = "custos.jobs.broker:Transport"
        from celery import Celery

        client = Celery("bench_bare_client", broker=broker)
        client.conf.update(task_default_queue=queue, task_ignore_result=True)
        warm = home / f"warm-{queue}"
        client.send_task("bench.noop", kwargs={"marker": str(warm)})
        _wait(warm.exists, "the bare worker to start")
        marker = home / f"done-{queue}"
        started = time.perf_counter()
        with client.connection_for_write() as connection:
            for index in range(jobs):
                kwargs = {"marker": str(marker)} if index == jobs - 1 else {}
                client.send_task("bench.noop", kwargs=kwargs, connection=connection)
        _wait(marker.exists, "the bare batch")
        return jobs / (time.perf_counter() - started)
    finally:
        _stop(worker)
        _delete_queue(broker, queue)


CUSTOS_CHILD = """
import json, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from custos.jobs.models import Job, JobStatus
from custos.jobs.services import job_create
from custos.kernel.context import WriteContext
jobs = int(sys.argv[1])
user = get_user_model().objects.create_user(email="bench@example.org", password="bench-password-123")
def submit(n):
    return [job_create(WriteContext.for_user(user), organization_id=None, job_type="add", task_name="custos.jobs.add",
                       parameters={"x": i, "y": 1}).id for i in range(n)]
def wait(ids):
    deadline = time.monotonic() + 300
    while Job.objects.filter(id__in=ids, status=JobStatus.SUCCESS).count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.02)
wait(submit(1))
started = time.perf_counter()
ids = submit(jobs)
submitted = time.perf_counter() - started
wait(ids)
elapsed = time.perf_counter() - started
print(json.dumps({"rate": jobs / elapsed, "submit_rate": jobs / submitted}))
"""


def run_custos(broker: str, jobs: int, home: Path) -> tuple[float, float]:
    queue = f"bench-custos-{secrets.token_hex(4)}"
    env = _env(home, broker, queue) | {"DJANGO_SETTINGS_MODULE": "config.settings"}
    migrated = subprocess.run(
        [sys.executable, "-m", "custos", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if migrated.returncode:
        raise SystemExit(f"bench/jobs.py: migrate failed:\n{migrated.stderr}")
    worker = subprocess.Popen(
        [sys.executable, "-m", "custos", "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        child = subprocess.run(
            [sys.executable, "-c", CUSTOS_CHILD, str(jobs)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT + 60, check=False,
        )  # fmt: skip
        if child.returncode:
            raise SystemExit(f"bench/jobs.py: the custos run failed:\n{child.stderr[-3000:]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        return figures["rate"], figures["submit_rate"]
    finally:
        _stop(worker)
        _delete_queue(broker, queue)


def rabbitmq_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200, help="jobs per measured batch (10-5000)")
    parser.add_argument("--only", choices=("embedded", "rabbitmq"), help="one broker only")
    args = parser.parse_args(argv)
    if not 10 <= args.jobs <= 5000:
        parser.error("--jobs must be between 10 and 5000")
    sys.path.insert(0, str(ROOT))
    from bench.common import bench_line

    rows: list[tuple[str, str, str, str]] = []
    figures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="custos-bench-jobs-") as tmp:
        for name in ("embedded", "rabbitmq"):
            if args.only and name != args.only:
                continue
            if name == "rabbitmq" and not rabbitmq_reachable():
                print("rabbitmq: skipped (nothing listens on 127.0.0.1:5672)")
                continue
            home = Path(tmp) / name
            home.mkdir()
            broker = f"sqla+sqlite:///{home / 'queue.sqlite3'}" if name == "embedded" else RABBITMQ
            bare = run_bare(broker, args.jobs, home)
            custos, submit = run_custos(broker, args.jobs, home)
            rows.append((name, f"{bare:8.1f}", f"{custos:8.1f}", f"{submit:8.1f}"))
            figures.append(bench_line(f"jobs_{name}_custos_add", custos, "jobs/s", baseline=bare))
            figures.append(bench_line(f"jobs_{name}_custos_submit", submit, "jobs/s", baseline=bare))
            print(f"{name}: bare no-op {bare:.1f} jobs/s, custos jobs {custos:.1f} jobs/s", flush=True)
    print()
    print(f"jobs per batch: {args.jobs}; one worker process, concurrency 1, prefetch 1, late acks")
    print(f"{'broker':10} {'bare no-op':>12} {'custos add':>12} {'custos submit':>14}   (jobs/s)")
    for name, bare, custos, submit in rows:
        print(f"{name:10} {bare:>12} {custos:>12} {submit:>14}")
    print("\n".join(figures))  # baseline: the bare Celery no-op task on the same broker
    return 0


if __name__ == "__main__":
    sys.exit(main())
