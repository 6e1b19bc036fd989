"""Fault script: a mixed workload while the server and the job worker are killed with SIGKILL and restarted;
then every write the server acknowledged must be stored, and every job must reach a final state.

    .venv/bin/python bench/faults.py --mode embedded --duration 90 --kills 4
    .venv/bin/python bench/faults.py --mode scaled --duration 90 --kills 4

What it does:

1. starts ``custos serve`` (its own session, so one ``killpg`` is a crash of the whole service) on a new
   ``CUSTOS_HOME``; embedded mode: SQLite, the SQLite job queue, the embedded worker started by serve;
   scaled mode: ``DATABASE_URL`` (PostgreSQL, database ``--database``, created when missing and emptied
   first), ``REDIS_URL`` (db 12), ``CELERY_BROKER_URL`` (RabbitMQ), ``CUSTOS_EMBEDDED_WORKER=false`` and a
   ``custos worker`` started separately;
2. seeds, in this process through the services: one organization, one OWNER per client (with a known
   password), a twin device and a SQAL station with a device token per client, open twin alerts to
   acknowledge, a design series;
3. runs the clients (asyncio, httpx and websockets, on loopback) until ``--duration`` seconds have passed;
   each repeats: a login (``POST /api/auth/jwt/create/``), ``POST /api/pipelines/``, a readings batch
   (``POST /api/devices/{id}/readings`` with ``Idempotency-Key``, retried with the same key after a
   connection error), ``POST /api/bugs/``, ``POST /api/alerts/acknowledge/{id}``, a design upload
   (``POST /api/designs/``, multipart STL: starts a processing job), ``POST /api/tasks/start_report`` (a
   job); and a station streams ``sensor_data`` frames over ``/ws/sensors/`` with its device token. A
   write counts as acknowledged when its answer is 2xx (or the socket's ``ack``), with the id it gave;
4. meanwhile kills, every ``duration / (kills + 1)`` seconds, in turn the whole server (its process
   group: Granian, and in embedded mode the embedded worker too) and the job worker alone, waiting first
   (up to 10 s) for a job to be running so the worker dies mid-job; then restarts what it killed (the
   embedded worker is restarted by serve's supervisor); in scaled mode every third fault cuts every
   PostgreSQL backend of the bench's database and every Redis client of its db instead (what a restart
   of either does to its clients; the shared servers themselves are not restarted), and the service must
   answer ``/api/health/detailed/`` again by itself;
5. after the run (the service up again), waits up to ``--job-timeout`` seconds for every job of the
   organization to reach a final state, then compares the acknowledged writes with the stored rows
   (through the ORM, on the same database) and prints a table, the stuck jobs with what is known of
   them, and ``BENCH`` lines. Exit status 0 when nothing acknowledged is lost and no job is stuck, 1
   otherwise, 2 when the service cannot be started.

Settings the script gives the service (a bench's, documented here): ``THROTTLE_AUTH_LOGIN=100000/min``
(every client logs in from 127.0.0.1), ``CUSTOS_QUEUE_VISIBILITY_TIMEOUT`` (``--visibility-timeout``,
default 10 s: how soon the embedded queue redelivers the message of a killed worker),
``CUSTOS_WORKER_RESTART_MAX_BACKOFF=2``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path and bench/http.py would shadow the standard library's http.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT / "bench"]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.common import station_measurements  # noqa: E402 - after the path is set

HOST = "127.0.0.1"
PASSWORD = "faults-bench-password-2026"
SCALED_DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/custos_faults",
    "REDIS_URL": "redis://127.0.0.1:6379/12",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
}
WRITE_KINDS = ("pipeline", "readings", "bug", "alert_ack", "design", "report", "sqal_sample")
FAULTS_QUEUE = "custos_faults"
REPORTS_PER_CLIENT = 4  # the twin report route allows 5 an hour per user
DESIGNS_PER_CLIENT = 40  # the enginel document's 50 uploads an hour per user


def _tetrahedron_stl() -> bytes:
    """A closed ASCII STL (a 10 mm tetrahedron): the processing job computes its volume and centre of mass."""
    v = [(0, 0, 0), (10, 0, 0), (0, 10, 0), (0, 0, 10)]
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
    lines = ["solid fault"]
    for a, b, c in faces:
        lines += [" facet normal 0 0 0", "  outer loop"]
        lines += [f"   vertex {x} {y} {z}" for x, y, z in (v[a], v[b], v[c])]
        lines += ["  endloop", " endfacet"]
    return ("\n".join([*lines, "endsolid fault"]) + "\n").encode()


STL = _tetrahedron_stl()


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- the service ------------------------------------------------------------------------------------


class ServiceError(RuntimeError):
    pass


class Stack:
    """``custos serve`` (and in scaled mode a separate ``custos worker``), each in its own session."""

    def __init__(self, mode: str, workdir: Path, *, visibility_timeout: int, database_url: str = "") -> None:
        self.mode = mode
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", *SCALED_DEFAULTS}}
        env.update(
            CUSTOS_HOME=str(workdir / "home"),
            LOG_LEVEL="WARNING",
            THROTTLE_AUTH_LOGIN="100000/min",
            CUSTOS_QUEUE_VISIBILITY_TIMEOUT=str(visibility_timeout),
            CUSTOS_WORKER_RESTART_MAX_BACKOFF="2",
            CUSTOS_ADMIN_EMAIL="admin@faults.example",
            CUSTOS_ADMIN_PASSWORD=PASSWORD,
        )
        if mode == "scaled":
            env.update({k: os.environ.get(k, v) for k, v in SCALED_DEFAULTS.items()})
            if database_url:
                env["DATABASE_URL"] = database_url
            env["CUSTOS_EMBEDDED_WORKER"] = "false"
            env["CUSTOS_QUEUE"] = FAULTS_QUEUE  # our own queue on the shared RabbitMQ: purged before a run
        else:
            env.pop("CUSTOS_EMBEDDED_WORKER", None)
        self.env = env
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.worker_starts = 0
        self.recoveries: list[float] = []

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen[bytes]:
        handle = (self.workdir / log).open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "custos", *args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_server(self, *, migrate: bool = False, timeout: float = 180) -> float:
        """Start serve and wait for ``/api/health/``; the seconds it took."""
        import httpx

        started = time.monotonic()
        args = ["serve", "--host", HOST, "--port", str(self.port)]
        if not migrate:
            args.append("--no-migrate")
        self.server = self._spawn(args, "serve.log")
        self.starts += 1
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise ServiceError(f"serve exited with {self.server.returncode}:\n{self.log_tail('serve.log')}")
            try:
                if httpx.get(f"{self.base}/api/health/", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ServiceError(f"serve not ready in {timeout:.0f} s:\n{self.log_tail('serve.log')}")

    def start_worker(self) -> None:
        if self.mode == "scaled":
            # With the scheduler, as deployed (docs/deployment.md): it re-queues a job stranded by a server
            # killed between the job's commit and its hand-off to the broker.
            command = ["worker", "--beat", "--concurrency", "2", "--loglevel", "WARNING"]
            self.worker = self._spawn(command, "worker.log")
            self.worker_starts += 1

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / name
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def kill_server(self) -> None:
        """SIGKILL to serve's whole process group (Granian's processes, the embedded worker and its pool)."""
        self._kill_group(self.server)

    def worker_pids(self) -> list[int]:
        """The job worker's processes: the separate worker's group, or serve's embedded worker and its pool."""
        import psutil

        root: Any
        if self.mode == "scaled":
            root = psutil.Process(self.worker.pid) if self.worker and self.worker.poll() is None else None
        else:
            root = None
            if self.server is not None and self.server.poll() is None:
                for child in psutil.Process(self.server.pid).children():
                    if "worker" in child.cmdline():
                        root = child
        if root is None:
            return []
        return [root.pid, *(c.pid for c in root.children(recursive=True))]

    def kill_worker(self) -> int:
        """SIGKILL to the worker and its pool; restarted (by us in scaled mode, by serve's supervisor in
        embedded mode). Returns how many processes were killed."""
        pids = self.worker_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.mode == "scaled" and self.worker is not None:
            self.worker.wait(timeout=30)
            self.start_worker()
        return len(pids)

    def cut_connections(self) -> tuple[int, int]:
        """Scaled mode: what a PostgreSQL and a Redis restart do to their clients, without restarting the
        shared servers: every backend of the bench's database is terminated (``pg_terminate_backend``)
        and every Redis client on the bench's db is killed (``CLIENT KILL ID``). The service must carry
        on by itself. Returns (PostgreSQL backends, Redis clients) cut."""
        import psycopg
        import redis

        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        cache = redis.Redis.from_url(self.env["REDIS_URL"])
        db = cache.connection_pool.connection_kwargs.get("db", 0)
        mine = cache.client_id()
        cut = 0
        for client in cache.client_list():
            if int(client.get("db", -1)) == db and int(client["id"]) != mine:
                with contextlib.suppress(redis.RedisError):
                    cut += int(cache.client_kill_filter(_id=client["id"]))
        cache.close()
        return len(rows), cut

    def wait_healthy(self, timeout: float = 60) -> float:
        """Seconds until ``/api/health/detailed/`` (database, cache, queue) answers 200 again."""
        import httpx

        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/api/health/detailed/", timeout=5).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
        raise ServiceError(f"not healthy {timeout:.0f} s after the connections were cut")

    def stop(self) -> None:
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGINT)
                    process.wait(timeout=30)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self._kill_group(process)


def prepare_database(url: str) -> None:
    """Scaled mode: the bench's own PostgreSQL database, emptied (dropped and created again)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise ServiceError(f"database name {name!r}: letters, digits and _ only")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def purge_rabbitmq(env: dict[str, str]) -> None:
    """Messages a previous run left in the queue would run against a database that no longer exists."""
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", "purge", "-f"],
        cwd=REPO_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        check=False,
        timeout=60,
    )


# --- seeding (in this process, on the service's database) ------------------------------------------


@dataclass
class ClientSeed:
    email: str
    device_id: str
    station_id: str
    station_token: str
    alert_ids: list[str]


@dataclass
class Seed:
    organization_id: str
    series_id: str
    clients: list[ClientSeed]


def setup_django(env: dict[str, str]) -> None:
    for key in ("CUSTOS_HOME", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CUSTOS_EMBEDDED_WORKER"):
        if key in env:
            os.environ[key] = env[key]
        else:
            os.environ.pop(key, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def seed(clients: int, alerts_per_client: int) -> Seed:
    from django.db import connections

    from custos.alerts.services import alert_raise
    from custos.devices.services import device_token_issue
    from custos.identity.models import User
    from custos.kernel.context import WriteContext
    from custos.modules.plm.services.series import series_create
    from custos.orgs.models import Membership, Organization

    tag = uuid.uuid4().hex[:8]
    org = Organization.objects.create(name=f"Faults {tag}", slug=f"faults-{tag}")
    found: list[ClientSeed] = []
    series_id = ""
    for index in range(clients):
        email = f"client{index}-{tag}@faults.example"
        user = User.objects.create_user(email=email, username=f"client{index}-{tag}", password=PASSWORD)
        Membership.objects.create(organization=org, user=user, role="OWNER")
        ctx = WriteContext.for_user(user, organization_id=org.id)
        device_id = f"TWIN_{index:03d}"
        device_token_issue(ctx, device_id=device_id)
        station_id = f"SQAL_{index:03d}"
        token = device_token_issue(ctx, device_id=station_id).token
        alert_ids = [
            str(
                alert_raise(
                    WriteContext.system(organization_id=org.id),
                    organization_id=org.id,
                    source="twin",
                    alert_type="threshold",
                    severity="high",
                    message=f"fault bench alert {index}.{n}",
                    subject_type="device",
                    subject_id=device_id,
                ).pk
            )
            for n in range(alerts_per_client)
        ]
        if not series_id:
            series_id = str(series_create(ctx, data={"part_number": f"FB-{tag}", "name": "Fault bench part"}).pk)
        found.append(ClientSeed(email, device_id, station_id, token, alert_ids))
    connections.close_all()
    return Seed(str(org.pk), series_id, found)


# --- the workload ------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What the clients saw: acknowledged writes with their ids, failures, and latencies."""

    acked: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    latencies: list[tuple[float, str, float]] = field(default_factory=list)  # (monotonic end, kind, seconds)
    keep_latencies: bool = True
    replays: int = 0  # readings batches answered from the Idempotency-Key record
    refusals: dict[str, str] = field(default_factory=dict)  # kind -> the first 4xx answer, to show

    def fail(self, kind: str, reason: str) -> None:
        self.failures[kind][reason] += 1

    def took(self, kind: str, started: float) -> None:
        if self.keep_latencies:
            now = time.monotonic()
            self.latencies.append((now, kind, now - started))


class Client:
    def __init__(self, index: int, base: str, seed: Seed, mine: ClientSeed, ledger: Ledger, until: float) -> None:
        self.index = index
        self.base = base
        self.seed = seed
        self.mine = mine
        self.ledger = ledger
        self.until = until
        self.token = ""
        self.counter = 0
        self.reports = 0
        self.designs = 0
        self.alerts = list(mine.alert_ids)
        self.refill_alerts = False  # the soak acknowledges its alerts again (harmless) when all are done
        self.reading_clock = 0

    async def request(self, http: Any, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        """One call; the response when it answered, ``None`` after a transport error (recorded)."""
        import httpx

        self.ledger.attempts[kind] += 1
        headers = kwargs.pop("headers", {})
        if self.token and kind != "login":
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.monotonic()
        try:
            response = await http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.ledger.fail(kind, type(exc).__name__)
            await asyncio.sleep(0.3)
            return None
        self.ledger.took(kind, started)
        if response.status_code >= 300:
            self.ledger.fail(kind, str(response.status_code))
            if 400 <= response.status_code < 500:
                self.ledger.refusals.setdefault(kind, f"{response.status_code} {response.text[:300]}")
            if response.status_code == 401:
                self.token = ""
        return response

    async def login(self, http: Any) -> None:
        response = await self.request(
            http, "login", "POST", "/api/auth/jwt/create/", json={"email": self.mine.email, "password": PASSWORD}
        )
        if response is not None and response.status_code == 200:
            self.token = response.json()["access"]

    async def pipeline(self, http: Any) -> None:
        body = {
            "name": f"Fault line {self.index}-{self.counter}-{uuid.uuid4().hex[:6]}",
            "length_km": 2.5,
            "diameter_mm": 400,
            "material": "steel",
            # 0.0225 degrees of longitude on the equator: 2.50 km, the length the route must match.
            "route": {"type": "LineString", "coordinates": [[0.0, 0.0], [0.0225, 0.0]]},
        }
        response = await self.request(http, "pipeline", "POST", "/api/pipelines/", json=body)
        if response is not None and response.status_code == 201:
            self.ledger.acked["pipeline"].append(answer_id(response.json()))

    async def readings(self, http: Any) -> None:
        # Unique timestamps per device (one second apart, going back from a fixed origin), 50 a batch.
        key = f"fault-{self.index}-{uuid.uuid4().hex}"
        first = self.reading_clock
        self.reading_clock += 50
        origin = 1_780_000_000
        stamps = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(origin - (first + n) * 7)) for n in range(50)]
        rows = [{"timestamp": ts, "value": float(n % 17)} for n, ts in enumerate(stamps)]
        for _attempt in range(20):  # after a connection error, the same key again (that is what it is for)
            if time.monotonic() > self.until + 30:
                return
            response = await self.request(
                http,
                "readings",
                "POST",
                f"/api/devices/{self.mine.device_id}/readings",
                json=rows,
                headers={"Idempotency-Key": key},
            )
            if response is None or response.status_code >= 500:
                continue
            if response.status_code == 401:
                await self.login(http)
                continue
            if response.status_code in (200, 201, 202):
                self.ledger.acked["readings"].append((self.mine.device_id, key, stamps))
                if response.headers.get("Idempotent-Replayed") == "true":
                    self.ledger.replays += 1  # stored by an earlier try whose answer was lost
            return

    async def bug(self, http: Any) -> None:
        body = {"title": f"Fault bug {self.index}-{self.counter}", "description": "Filed during the fault run."}
        response = await self.request(http, "bug", "POST", "/api/bugs/", json=body)
        if response is not None and response.status_code == 201:
            self.ledger.acked["bug"].append(answer_id(response.json()))

    async def alert_ack(self, http: Any) -> None:
        if not self.alerts and self.refill_alerts:
            self.alerts = list(self.mine.alert_ids)
        if not self.alerts:
            return
        alert_id = self.alerts[0]
        response = await self.request(http, "alert_ack", "POST", f"/api/alerts/acknowledge/{alert_id}")
        if response is not None and response.status_code == 200:
            self.ledger.acked["alert_ack"].append(self.alerts.pop(0))

    async def design(self, http: Any) -> None:
        if self.designs >= DESIGNS_PER_CLIENT:
            return
        self.designs += 1
        files = {"file": (f"part-{self.index}-{self.counter}.stl", STL, "model/stl")}
        response = await self.request(
            http, "design", "POST", "/api/designs/", data={"series": self.seed.series_id}, files=files
        )
        if response is not None and response.status_code == 201:
            self.ledger.acked["design"].append(answer_id(response.json()))

    async def report(self, http: Any) -> None:
        if self.reports >= REPORTS_PER_CLIENT:
            return
        self.reports += 1
        response = await self.request(http, "report", "POST", "/api/tasks/start_report", json={"days": 1})
        if response is not None and response.status_code == 202:
            self.ledger.acked["report"].append(response.json()["task_id"])

    async def run(self, *, pause: float = 0.0, jobs_every: int = 1) -> None:
        import httpx

        steps = [self.pipeline, self.readings, self.bug, self.alert_ack, self.readings]
        async with httpx.AsyncClient(base_url=self.base, timeout=20) as http:
            while time.monotonic() < self.until:
                self.counter += 1
                if not self.token or self.counter % 10 == 0:
                    await self.login(http)
                    if not self.token:
                        continue
                for step in steps:
                    if time.monotonic() >= self.until:
                        break
                    await step(http)
                if self.counter % jobs_every == 0 and time.monotonic() < self.until:
                    await self.design(http)
                    await self.report(http)
                if pause:
                    await asyncio.sleep(pause)

    async def station(self, *, period: float = 0.5) -> None:
        import websockets

        url = f"ws://{HOST}:{self.base.rsplit(':', 1)[1]}/ws/sensors/?token={self.mine.station_token}"
        n = 0
        while time.monotonic() < self.until:
            try:
                async with websockets.connect(url, compression=None, open_timeout=5) as ws:
                    json.loads(await asyncio.wait_for(ws.recv(), 10))  # connection_established
                    while time.monotonic() < self.until:
                        n += 1
                        sample_id = f"{self.mine.station_id}-{n}"
                        self.ledger.attempts["sqal_sample"] += 1
                        started = time.monotonic()
                        await ws.send(json.dumps(frame(self.mine.station_id, sample_id)))
                        while True:
                            reply = json.loads(await asyncio.wait_for(ws.recv(), 20))
                            if reply.get("type") in ("ack", "validation_error", "error"):
                                break
                        self.ledger.took("sqal_sample", started)
                        if reply.get("type") == "ack" and reply.get("sample_id") == sample_id:
                            self.ledger.acked["sqal_sample"].append((self.mine.station_id, sample_id))
                        else:
                            self.ledger.fail("sqal_sample", reply.get("type", "?"))
                        await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                self.ledger.fail("sqal_sample", type(exc).__name__)
                await asyncio.sleep(0.5)


def answer_id(body: Any) -> str:
    """The id of a created object, in whichever dialect's envelope it came (``data``/``result``...)."""
    if isinstance(body, dict):
        if "id" in body:
            return str(body["id"])
        for key in ("data", "result", "item"):
            if isinstance(body.get(key), dict) and "id" in body[key]:
                return str(body[key]["id"])
    raise ValueError(f"no id in the answer: {str(body)[:200]}")


def frame(device_id: str, sample_id: str) -> dict[str, Any]:
    return {
        "type": "sensor_data",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sample_id": sample_id,
        "device_id": device_id,
        **station_measurements(),
        "lot_abattage": "LOT-FAULTS",
    }


# --- checks after the run -----------------------------------------------------------------------------


def verify(ledger: Ledger, seed: Seed) -> dict[str, tuple[int, int, list[str]]]:
    """kind -> (acknowledged, of them found stored, up to 5 missing ids)."""
    from django.db import connections

    from custos.alerts.models import Alert
    from custos.devices.models import Reading
    from custos.jobs.models import Job
    from custos.modules.bugs.models import BugReport
    from custos.modules.pipelines.models import Pipeline
    from custos.modules.plm.models import DesignAsset
    from custos.modules.quality.models import QualitySample

    connections.close_all()
    org = seed.organization_id
    found: dict[str, tuple[int, int, list[str]]] = {}

    def by_ids(kind: str, model: Any, ids: list[str], **extra: Any) -> None:
        stored = {
            str(pk)
            for pk in model.objects.filter(pk__in=ids, organization_id=org, **extra).values_list("pk", flat=True)
        }
        missing = [i for i in ids if str(i) not in stored]
        found[kind] = (len(ids), len(ids) - len(missing), missing[:5])

    by_ids("pipeline", Pipeline, [str(i) for i in ledger.acked["pipeline"]])
    by_ids("bug", BugReport, ledger.acked["bug"])
    by_ids("alert_ack", Alert, ledger.acked["alert_ack"], acknowledged_at__isnull=False)
    by_ids("design", DesignAsset, ledger.acked["design"])
    by_ids("report", Job, ledger.acked["report"])

    from datetime import datetime

    acked_batches = ledger.acked["readings"]
    missing_batches: list[str] = []
    duplicated = 0
    stored_rows: dict[str, Counter[datetime]] = {}  # device -> how many rows at each timestamp
    for device_id in {device_id for device_id, _, _ in acked_batches}:
        stamps_of = Reading.objects.filter(organization_id=org, device__device_id=device_id)
        stored_rows[device_id] = Counter(stamps_of.values_list("timestamp", flat=True).iterator())
    for device_id, key, stamps in acked_batches:
        counts = stored_rows[device_id]
        moments = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for s in stamps]
        present = sum(1 for m in moments if counts[m] >= 1)
        if present < len(moments):
            missing_batches.append(f"{key} ({present}/{len(moments)} rows)")
        duplicated += sum(counts[m] - 1 for m in moments if counts[m] > 1)
    found["readings"] = (len(acked_batches), len(acked_batches) - len(missing_batches), missing_batches[:5])
    if duplicated:
        found["readings (duplicated rows)"] = (duplicated, 0, ["rows stored twice for one acknowledged batch"])

    samples = ledger.acked["sqal_sample"]
    stored_samples = set(
        QualitySample.objects.filter(organization_id=org, sample_id__in=[s for _, s in samples]).values_list(
            "device__device_id", "sample_id"
        )
    )
    missing_samples = [s for d, s in samples if (d, s) not in stored_samples]
    found["sqal_sample"] = (len(samples), len(samples) - len(missing_samples), missing_samples[:5])
    connections.close_all()
    return found


def wait_for_jobs(seed: Seed, timeout: float) -> tuple[int, list[dict[str, Any]], float, int, dict[str, int]]:
    """(jobs of the organization, those not finished after ``timeout`` s, seconds waited, how many ran
    again after their worker died: ``retries`` > 0, how many ended in each status)."""
    from django.db import connections

    from custos.jobs.models import FINISHED, Job

    started = time.monotonic()
    while True:
        connections.close_all()
        jobs = list(
            Job.objects.filter(organization_id=seed.organization_id).values(
                "id", "job_type", "task_name", "status", "retries", "worker", "created_at", "started_at", "error"
            )
        )
        open_jobs = [j for j in jobs if j["status"] not in FINISHED]
        if not open_jobs or time.monotonic() - started > timeout:
            retried = sum(1 for j in jobs if j["retries"])
            statuses = dict(Counter(f"{j['job_type']} {j['status']}" for j in jobs))
            return len(jobs), open_jobs, time.monotonic() - started, retried, statuses
        time.sleep(1)


def running_jobs(seed: Seed) -> int:
    from django.db import connections

    from custos.jobs.models import RUNNING, Job

    try:
        return Job.objects.filter(organization_id=seed.organization_id, status__in=list(RUNNING)).count()
    finally:
        connections.close_all()


def queued_message_for(stack: Stack, job_id: str) -> str:
    """What the broker still holds for a job (embedded queue only: the SQLite file is readable)."""
    if stack.mode != "embedded":
        return "broker not inspected (RabbitMQ)"
    import sqlite3

    path = Path(stack.env["CUSTOS_HOME"]) / "queue.sqlite3"
    if not path.exists():
        return "no queue file"
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT visible, timestamp FROM kombu_message WHERE payload LIKE ?", (f"%{job_id}%",)
        ).fetchall()
    if not rows:
        return "no message in the queue"
    return "; ".join(f"message visible={bool(v)} leased_at={t}" for v, t in rows)


PROBE = """
import os, signal, sys
import django
django.setup()
from custos.identity.models import User
from custos.jobs import services
from custos.kernel.context import WriteContext

def crash(*, job):  # the server dies after the commit, before the message reaches the broker
    print(job.id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

services.job_enqueue = crash
user = User.objects.get(email=sys.argv[1])
services.job_create(
    WriteContext.for_user(user, organization_id=sys.argv[2]), organization_id=sys.argv[2],
    job_type="health_report", task_name="custos.jobs.health_report", parameters={"days": 1},
)
"""


def probe_enqueue_crash(stack: Stack, seeded: Seed, wait: float) -> tuple[str, str]:
    """A process that dies (SIGKILL) between ``job_create``'s commit and its ``on_commit`` hand-off to the
    broker, as ``custos serve`` can at any moment: (job id, its status after ``wait`` s)."""
    from django.db import connections

    from custos.jobs.models import Job

    done = subprocess.run(
        [sys.executable, "-c", PROBE, seeded.clients[0].email, seeded.organization_id],
        cwd=REPO_ROOT,
        env={**stack.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    job_id = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode != -signal.SIGKILL or not job_id:
        return job_id, f"probe failed (exit {done.returncode}): {done.stderr[-300:]}"
    deadline = time.monotonic() + wait
    status = ""
    while time.monotonic() < deadline:
        connections.close_all()
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
        if status not in ("PENDING", "STARTED", "PROGRESS", "RETRY"):
            break
        time.sleep(1)
    connections.close_all()
    return job_id, status


# --- the run --------------------------------------------------------------------------------------------


@dataclass
class KillRecord:
    at: float
    what: str
    running_jobs: int
    processes: int
    recovery_s: float


async def chaos(stack: Stack, seed: Seed, *, duration: float, kills: int, started: float) -> list[KillRecord]:
    """Kill in turn the whole server and the worker alone (and, in scaled mode, cut every PostgreSQL and
    Redis connection), evenly over the run."""
    records: list[KillRecord] = []
    if kills <= 0:
        return records
    interval = duration / (kills + 1)
    kinds = ("server", "worker", "connections") if stack.mode == "scaled" else ("server", "worker")
    for n in range(kills):
        await asyncio.sleep(max(0.0, started + interval * (n + 1) - time.monotonic()))
        what = kinds[n % len(kinds)]
        if what == "worker":
            # Mid-job: wait (up to 10 s) for one of the jobs to be running.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and await asyncio.to_thread(running_jobs, seed) == 0:
                await asyncio.sleep(0.2)
        busy = await asyncio.to_thread(running_jobs, seed)
        at = time.monotonic() - started
        if what == "server":
            count = len(stack.worker_pids()) + 1
            stack.kill_server()
            progress(f"kill -9 of the server (process group) at {at:.1f} s, {busy} job(s) running")
            recovery = await asyncio.to_thread(stack.start_server)
        elif what == "connections":
            backends, clients = await asyncio.to_thread(stack.cut_connections)
            count = backends + clients
            progress(
                f"cut {backends} PostgreSQL and {clients} Redis connection(s) at {at:.1f} s, {busy} job(s) running"
            )
            recovery = await asyncio.to_thread(stack.wait_healthy)
        else:
            t0 = time.monotonic()
            count = stack.kill_worker()
            progress(f"kill -9 of the worker ({count} processes) at {at:.1f} s, {busy} job(s) running")
            recovery = time.monotonic() - t0
        stack.recoveries.append(recovery)
        records.append(KillRecord(at, what, busy, count, recovery))
    return records


async def workload(
    stack: Stack, seed: Seed, ledger: Ledger, *, duration: float, kills: int, jobs_every: int = 1
) -> list[KillRecord]:
    started = time.monotonic()
    until = started + duration
    clients = [Client(i, stack.base, seed, mine, ledger, until) for i, mine in enumerate(seed.clients)]
    tasks = [asyncio.create_task(c.run(jobs_every=jobs_every)) for c in clients]
    tasks += [asyncio.create_task(c.station()) for c in clients]
    records = await chaos(stack, seed, duration=duration, kills=kills, started=started)
    await asyncio.gather(*tasks)
    return records


def summary(found: dict[str, tuple[int, int, list[str]]], ledger: Ledger) -> tuple[str, int, int]:
    lines = [f"{'write':28s} {'attempts':>9s} {'acked':>7s} {'stored':>7s} {'lost':>5s}  failures (unacknowledged)"]
    lost_total = acked_total = 0
    for kind, (acked, stored, missing) in found.items():
        lost = acked - stored
        lost_total += lost
        acked_total += acked if "duplicated" not in kind else 0
        failures = ", ".join(f"{k}:{v}" for k, v in sorted(ledger.failures.get(kind, {}).items())) or "-"
        lines.append(f"{kind:28s} {ledger.attempts.get(kind, 0):9d} {acked:7d} {stored:7d} {lost:5d}  {failures}")
        if missing:
            lines.append(f"    missing: {', '.join(missing)}")
    failures = ", ".join(f"{k}:{v}" for k, v in sorted(ledger.failures.get("login", {}).items())) or "-"
    lines.append(f"{'login (read)':28s} {ledger.attempts.get('login', 0):9d} {'':7s} {'':7s} {'':5s}  {failures}")
    lines.append(f"readings batches answered as replays of an earlier try (Idempotency-Key): {ledger.replays}")
    lines.extend(f"first refusal of {kind}: {text}" for kind, text in sorted(ledger.refusals.items()))
    return "\n".join(lines), lost_total, acked_total


def run(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix=f"custos-faults-{args.mode}-"))
    stack = Stack(args.mode, workdir, visibility_timeout=args.visibility_timeout, database_url=args.database)
    try:
        if args.mode == "scaled":
            progress(f"scaled mode: {stack.env['DATABASE_URL']}, {stack.env['REDIS_URL']}, RabbitMQ")
            prepare_database(stack.env["DATABASE_URL"])
            flush_redis(stack.env["REDIS_URL"])
            purge_rabbitmq(stack.env)
        progress(f"custos serve ({args.mode}, first start with migrations) in {workdir}")
        first = stack.start_server(migrate=True, timeout=600)
        stack.start_worker()
        progress(f"ready in {first:.1f} s; seeding {args.clients} clients")
        setup_django(stack.env)
        seeded = seed(args.clients, alerts_per_client=max(10, int(args.duration)))
        ledger = Ledger(keep_latencies=False)
        progress(f"workload for {args.duration:.0f} s with {args.kills} kill(s)")
        records = asyncio.run(
            workload(stack, seeded, ledger, duration=args.duration, kills=args.kills, jobs_every=args.jobs_every)
        )
        if stack.server is None or stack.server.poll() is not None:
            stack.start_server()
        progress(f"workload over; waiting up to {args.job_timeout:.0f} s for the jobs")
        job_count, stuck, waited, retried, statuses = wait_for_jobs(seeded, args.job_timeout)
        found = verify(ledger, seeded)
        probe = probe_enqueue_crash(stack, seeded, args.job_timeout) if args.probe_enqueue_crash else None
    except ServiceError as exc:
        print(f"faults: {exc}", file=sys.stderr)
        stack.stop()
        return 2
    finally:
        if stack.server is not None:
            stack.stop()

    table, lost, acked = summary(found, ledger)
    print(f"fault run: mode {args.mode}, {args.clients} clients, {args.duration:.0f} s, {len(records)} kill(s)")
    print()
    print(f"{'kill':6s} {'at_s':>7s} {'what':8s} {'processes':>9s} {'running_jobs':>12s} {'recovery_s':>10s}")
    for n, r in enumerate(records, 1):
        print(f"{n:<6d} {r.at:7.1f} {r.what:8s} {r.processes:9d} {r.running_jobs:12d} {r.recovery_s:10.2f}")
    print()
    print(table)
    print()
    print(
        f"jobs: {job_count}, finished: {job_count - len(stuck)}, stuck: {len(stuck)} (waited {waited:.0f} s); "
        f"run again after their worker was killed: {retried}"
    )
    print(f"  by type and status: {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))}")
    for job in stuck:
        print(
            f"  STUCK {job['id']} {job['job_type']} status={job['status']} retries={job['retries']} "
            f"worker={job['worker'] or '-'} created={job['created_at']:%H:%M:%S} "
            f"started={job['started_at'].strftime('%H:%M:%S') if job['started_at'] else '-'} "
            f"broker: {queued_message_for(stack, str(job['id']))}"
        )
    mode = args.mode
    if probe is not None:
        job_id, status = probe
        print(
            f"probe: a process killed after job_create's commit, before its on_commit enqueue: job {job_id} "
            f"is {status} after {args.job_timeout:.0f} s; broker: {queued_message_for(stack, job_id)}"
        )
        print(f"BENCH faults_{mode}_probe_enqueue_crash_stuck {1 if status == 'PENDING' else 0} jobs baseline=0")
    print()
    print(f"BENCH faults_{mode}_acknowledged_writes {acked} writes")
    print(f"BENCH faults_{mode}_lost_writes {lost} writes baseline=0")
    print(f"BENCH faults_{mode}_jobs {job_count} jobs")
    print(f"BENCH faults_{mode}_stuck_jobs {len(stuck)} jobs baseline=0")
    print(f"BENCH faults_{mode}_kills {len(records)} kills")
    if stack.recoveries:
        print(f"BENCH faults_{mode}_recovery_max {max(stack.recoveries):.2f} s")
    if args.keep:
        print(f"logs and data kept in {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if lost == 0 and not stuck else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--duration", type=float, default=90, help="seconds of workload (default 90)")
    parser.add_argument(
        "--kills", type=int, default=4, help="faults during the run: server, worker (and scaled: connections) in turn"
    )
    parser.add_argument("--clients", type=int, default=3, help="concurrent clients (each also a WebSocket station)")
    parser.add_argument("--job-timeout", type=float, default=180, help="seconds for every job to finish after the run")
    parser.add_argument(
        "--jobs-every",
        type=int,
        default=4,
        help="a design upload and a report every N rounds of a client (default 4: jobs all through the run)",
    )
    parser.add_argument("--visibility-timeout", type=int, default=10, help="embedded queue lease, seconds")
    parser.add_argument("--database", default="", help="scaled mode: DATABASE_URL (default: custos_faults)")
    parser.add_argument(
        "--probe-enqueue-crash",
        action="store_true",
        help="after the run, kill a process between a job's commit and its enqueue; report the job's fate",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.clients < 1 or args.kills < 0 or args.jobs_every < 1:
        parser.error("--duration > 0, --clients >= 1, --kills >= 0, --jobs-every >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
