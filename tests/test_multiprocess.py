"""Scaled mode across processes: two ``custos serve`` processes (A and B) and a ``custos worker`` over one
PostgreSQL database, Redis and the broker, as behind a load balancer.

* a Socket.IO client connected to A receives the ``alert_acknowledged`` event of a request made to B;
* the enginel rate limit counts the requests of both processes;
* a session revoked through B is refused by A at once;
* a job started through A is watched through B until the worker finishes it;
* one ``/metrics`` scrape of A (Prometheus multiprocess mode) counts B's requests and the jobs, and is
  still refused to callers without the metrics token.

Runs only in the scaled CI run (``DATABASE_URL`` PostgreSQL and ``REDIS_URL`` set); about 20-40 s.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = [
    pytest.mark.skipif(
        not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")),
        reason="needs the scaled services: DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
    pytest.mark.django_db(transaction=True),
]

REPO_ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "multi-process-password-42"
BURST_LIMIT = 5
METRICS_TOKEN = "multi-process-metrics-token"
STARTUP_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import requests

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url + "/api/health/", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"server did not answer in {STARTUP_TIMEOUT:.0f}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def cluster(tmp_path: Path, owner: Any) -> Iterator[dict[str, str]]:
    """Two server processes and one job worker on the test database (migrated by pytest-django), started
    together; yields their base URLs once both answer. An administrator exists beforehand, so neither
    server creates one (``ensure_admin``) and the two cannot race on it."""
    from django.db import connection

    from custos.identity.models import User

    User.objects.create_superuser(email="admin@multi.example.com", username="admin", password=None)

    database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"]).geturl()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CUSTOS_HOME": str(tmp_path / "home"),
        "CUSTOS_EMBEDDED_WORKER": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "ENGINEL_RATE_LIMIT_PER_MINUTE": str(BURST_LIMIT),
        "CUSTOS_ADMIN_PASSWORD": PASSWORD,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO_ROOT),
        # Prometheus multiprocess mode, as for one machine running both servers and the worker; /metrics
        # restricted to a network the test is not on, so only the token opens it.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_ALLOWED_NETWORKS": "192.0.2.0/24",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    (tmp_path / "prometheus").mkdir()
    env.setdefault("CELERY_BROKER_URL", os.environ["REDIS_URL"])
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        logs: dict[str, Path] = {}
        for name in ("A", "B"):
            port = _free_port()
            logs[name] = tmp_path / f"serve-{name}.log"
            command = [sys.executable, "-m", "custos", "serve", "--port", str(port), "--workers", "1", "--no-migrate"]
            with logs[name].open("wb") as out:
                server = subprocess.Popen(  # noqa: S603 - our own command line
                    command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
                processes.append(server)
            urls[name] = f"http://127.0.0.1:{port}"
        with (tmp_path / "worker.log").open("wb") as out:
            worker = [sys.executable, "-m", "custos", "worker", "--concurrency", "1", "--loglevel", "WARNING"]
            job_worker = subprocess.Popen(  # noqa: S603 - our own command line
                worker, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            processes.append(job_worker)
        for index, name in enumerate(("A", "B")):
            _wait_for(urls[name], processes[index], logs[name])
        yield urls
    finally:
        # each process leads its own session: the whole group goes (Granian's and Celery's children too)
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def owner() -> Any:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from custos.identity.models import User
    from custos.orgs.models import Membership, Organization

    org = Organization.objects.create(name="Multi Org", slug="multi-org")
    # Hashed with the servers' hasher: the test settings hash with MD5, which the servers do not accept.
    hasher = Argon2PasswordHasher()
    user = User.objects.create_user(email="multi@example.com", username="multi", password=None)
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    Membership.objects.create(organization=org, user=user, role="OWNER")
    return user


def _login(base: str) -> dict[str, Any]:
    import requests

    response = requests.post(
        base + "/api/auth/login", json={"username": "multi@example.com", "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


REQUEST_TIMEOUT = 30
WARM_UP_TIMEOUT = 90


def _added_by_the_worker(start: str, watch: str, bearer: dict[str, str], x: int, y: int) -> tuple[Any, Any]:
    """Start the ``add`` task through ``start``, follow it through ``watch``; its final status and result."""
    import requests

    started = requests.post(
        f"{start}/tasks/", json={"type": "add", "x": x, "y": y}, headers=bearer, timeout=REQUEST_TIMEOUT
    )
    assert started.status_code in (200, 201, 202), started.text
    task_id = started.json()["task_id"]
    deadline = time.monotonic() + 30
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = requests.get(f"{watch}/tasks/{task_id}/", headers=bearer, timeout=REQUEST_TIMEOUT).json()
        if status.get("status") in ("SUCCESS", "FAILURE"):
            break
        time.sleep(0.3)
    return status.get("status"), status.get("result")


def _healthy_within(base: str, seconds: float) -> bool:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{base}/api/health/detailed/", timeout=REQUEST_TIMEOUT).status_code == 200:
                return True
        time.sleep(0.2)
    return False


def test_events_limits_revocation_and_jobs_hold_across_processes(cluster: dict[str, str], owner: Any) -> None:
    import requests
    import socketio

    from custos.alerts.models import Alert
    from custos.alerts.tests.factories import alert as make_alert

    a, b = cluster["A"], cluster["B"]
    tokens = _login(a)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for base in (a, b):  # a process's first requests import the domain modules: slow on a busy CI machine
        assert requests.get(f"{base}/api/devices", headers=bearer, timeout=WARM_UP_TIMEOUT).status_code == 200

    # 1. An event caused through B reaches a Socket.IO client connected to A.
    twin_alert = make_alert(organization=owner.memberships.get().organization, source="twin")
    received: list[dict[str, Any]] = []
    joined = threading.Event()
    arrived = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("room_joined", lambda data: joined.set())

    def on_acknowledged(data: dict[str, Any]) -> None:
        received.append(data)
        arrived.set()

    client.on("alert_acknowledged", on_acknowledged)
    client.connect(a, auth={"token": tokens["access_token"]}, transports=["websocket"], wait_timeout=REQUEST_TIMEOUT)
    try:
        client.emit("join_room", {"room": "alerts"})
        assert joined.wait(10)
        acknowledged = requests.post(
            f"{b}/api/alerts/acknowledge/{twin_alert.pk}", headers=bearer, timeout=REQUEST_TIMEOUT
        )
        assert acknowledged.status_code == 200, acknowledged.text
        assert arrived.wait(15), "A's Socket.IO client never received the event caused through B"
    finally:
        client.disconnect()
    assert received[0]["alertId"] == str(twin_alert.pk)
    assert received[0]["acknowledgedBy"] == "multi@example.com"
    assert Alert.objects.get(pk=twin_alert.pk).status == "acknowledged"

    # 2. The enginel burst limit (BURST_LIMIT a minute) counts the requests of both processes.
    statuses = [
        requests.get(f"{base}/api/series/", headers=bearer, timeout=REQUEST_TIMEOUT) for base in (a, b, a, b, a, b)
    ]
    assert [r.status_code for r in statuses] == [200] * BURST_LIMIT + [429]
    assert [r.headers["X-RateLimit-Remaining"] for r in statuses] == ["4", "3", "2", "1", "0", "0"]

    # 3. A job started through A is watched through B until the worker has run it.
    assert _added_by_the_worker(a, b, bearer, 2, 3) == ("SUCCESS", 5)

    # 4. A session revoked through B is refused by A at once.
    assert requests.get(f"{a}/api/auth/users/me/", headers=bearer, timeout=REQUEST_TIMEOUT).status_code == 200
    logout = requests.post(
        f"{b}/api/auth/logout/", json={"refresh_token": tokens["refresh_token"]}, headers=bearer, timeout=10
    )
    assert logout.status_code in (200, 204, 205), logout.text
    assert requests.get(f"{a}/api/auth/users/me/", headers=bearer, timeout=REQUEST_TIMEOUT).status_code == 401

    # 5. One scrape of A sees every process (B's 429 above) and the job figures; still restricted.
    assert requests.get(f"{a}/metrics", timeout=REQUEST_TIMEOUT).status_code == 404
    assert requests.get(f"{a}/metrics", headers=bearer, timeout=REQUEST_TIMEOUT).status_code == 404
    scrape = requests.get(f"{a}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=REQUEST_TIMEOUT)
    assert scrape.status_code == 200, scrape.text[:500]
    samples = dict(line.rsplit(" ", 1) for line in scrape.text.splitlines() if line and not line.startswith("#"))
    assert float(samples['django_http_responses_total_by_status_total{status="429"}']) == 1.0
    assert float(samples['custos_jobs{state="SUCCESS"}']) == 1.0

    # 6. Every PostgreSQL connection of the servers and the worker is cut (what a database restart or
    # failover does to its clients): each process carries on with new connections of its own pool.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (cut,) = cursor.fetchone()
    assert cut >= 2  # at least the two servers' pools
    assert _healthy_within(a, 30) and _healthy_within(b, 30)
    bearer = {"Authorization": f"Bearer {_login(b)['access_token']}"}
    assert requests.get(f"{a}/api/auth/users/me/", headers=bearer, timeout=REQUEST_TIMEOUT).status_code == 200
    assert _added_by_the_worker(b, a, bearer, 20, 22) == ("SUCCESS", 42)
