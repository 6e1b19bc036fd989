"""Serving speed of the product's own routes, as a user meets them: ``custos serve`` under wrk.

For each run mode this script

  1. makes a fresh data directory (and, in scaled mode, a fresh PostgreSQL database and Redis db),
     migrates it and loads realistic data: an organization whose OWNER logs in through
     ``POST /api/auth/login``; pipelines and pipeline alerts created through the API (every create
     writes its audit row, so the audit log fills the same way); twin devices, SQAL analyses and
     designs built by ``tests/factories.rows`` (the query-count test's builder: those rows arrive
     over WebSockets or uploads in real use, which wrk cannot drive); readings through the twin
     batch-ingest route;
  2. starts ``custos serve --workers N`` (embedded: SQLite, file cache, 1 process by default;
     scaled: PostgreSQL, Redis, 2 processes), checks every route answers as expected, then loads each
     route with ``wrk`` on loopback (a warm-up, then the measured run) and reports req/s, p50, p99
     and the share of the liveness route's rate;
  3. starts ``custos serve`` once more under ``bench.http_settings`` (the same server, middleware and
     process count; the bench-only URLs) and measures the same way the bare DRF view ``/bench/hello``
     and the floor page ``/bench/floor``: the least an authenticated, counted page of 50 costs on this
     stack (the product's JWT check, one ``COUNT(*)`` and one raw ``SELECT`` of 50 audit rows, orjson),
     which each list route is set beside (``x floor``).

Routes that do not answer (a domain not built yet) are listed as skipped, not measured.

With ``--baseline REV`` every mode is measured a second time on the code of commit ``REV`` (checked
out in a temporary git worktree, run with the same interpreter and packages), and each table shows the
two side by side: the figures before and after a change, from one run on one machine.

Run it from the repository root (needs ``wrk``: apt-get update && apt-get install -y wrk)::

    .venv/bin/python bench/serving.py                                   # both modes, ~4 minutes
    .venv/bin/python bench/serving.py --modes embedded --duration 5
    .venv/bin/python bench/serving.py --baseline 1454ba4                # before/after, ~8 minutes
    .venv/bin/python bench/serving.py --modes scaled \\
        --database-url postgres://postgres@127.0.0.1:5432/custos_bench --redis-url redis://127.0.0.1:6379/13

The scaled run DROPS and re-creates the database named in ``--database-url`` and flushes the Redis
database of ``--redis-url``: point them at throwaway ones. ``bench/http.py`` keeps the comparison of
server stacks on bench-only endpoints.

Exit status: 0 after printing the tables, 1 when a server fails or a route answers wrongly, 2 when wrk
is missing or the arguments are invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
# ``python bench/serving.py`` puts bench/ first on sys.path, where bench/http.py shadows the stdlib.
sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != REPO_ROOT / "bench"]
sys.path.insert(0, str(REPO_ROOT))

from bench.common import bench_line, logged_in_owner  # noqa: E402 - after the path is set
from bench.http import (  # noqa: E402 - after the path is set
    HOST,
    SCRUBBED_PREFIXES,
    SCRUBBED_VARIABLES,
    WRK_INSTALL_HINT,
    WRK_REQUEST_TIMEOUT,
    BenchError,
    WrkResult,
    free_port,
    log_tail,
    parse_wrk,
    running_server,
)

PASSWORD = "bench-password-0123456789"
STARTUP_TIMEOUT = 120.0
HEALTH = "/api/health/"
BARE = "/bench/hello"
FLOOR = "/bench/floor"
FLOOR_KEY = "floor page 50 (bench)"
INGEST_BATCH = 100  # readings per ingest request


@dataclass(frozen=True)
class Route:
    key: str
    method: str
    path: str
    auth: bool = True
    body: str = ""  # POST body; ``{n}`` is replaced by a per-request counter
    status: int = 200
    list_route: bool = False


@dataclass
class ModeResult:
    mode: str
    workers: int
    rows: dict[str, int]
    results: dict[str, WrkResult] = field(default_factory=dict)
    lists: set[str] = field(default_factory=set)  # the keys of the list routes (set beside the floor)
    skipped: dict[str, str] = field(default_factory=dict)
    baseline: ModeResult | None = None  # the same mode on the ``--baseline`` commit


# --- Data (runs in a child process with the mode's environment) ------------------------------------


def _prepare(rows_per_list: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.urls import resolve

    from custos.orgs.models import Membership, Organization
    from tests.factories import rows

    owner, client, token = logged_in_owner("owner@bench.example", "bench-owner", PASSWORD)
    org = Organization.objects.create(name="Bench Org", slug="bench-org")
    Membership.objects.create(organization=org, user=owner, role="OWNER")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(path: str, body: Any) -> Any:
        response = client.post(path, body, content_type="application/json", **headers)
        if response.status_code != 201:
            raise SystemExit(f"POST {path}: {response.status_code} {response.content[:300]!r}")
        return response.json()

    pipeline_ids = []
    for index in range(rows_per_list):
        route = {"type": "LineString", "coordinates": [[10.0 + index / 1000, 50.0], [10.1 + index / 1000, 50.0]]}
        body = {"name": f"Line {index:05d}", "diameter_mm": 600, "material": "steel", "route": route}
        pipeline_ids.append(post("/api/pipelines/", body)["id"])
    priorities = ("low", "medium", "high", "critical")
    for index in range(rows_per_list):
        post(
            "/api/alerts/",
            {
                "pipeline": pipeline_ids[index % len(pipeline_ids)],
                "alert_type": "maintenance_required",
                "priority": priorities[index % 4],
                "message": f"valve check {index}",
            },
        )

    built: dict[str, int] = {}
    for path in ("/api/devices", "/api/analysis/history/", "/api/designs/"):
        try:
            view = resolve(path).func
        except Exception:
            continue
        view_class: Any = getattr(view, "cls", None) or getattr(view, "view_class", None)
        queryset = getattr(view_class, "queryset", None)
        model = queryset.model if queryset is not None else None
        if model is None:
            meta = getattr(getattr(view_class, "serializer_class", None), "Meta", None)
            model = getattr(meta, "model", None)
        if model is None:
            continue
        try:
            built[path] = len(rows(model, rows_per_list, organization=org, user=owner))
        except Exception as exc:
            print(f"could not build rows for {path}: {exc!r}", file=sys.stderr)

    device_ids: list[str] = []
    try:
        from custos.devices.models import Device

        device_ids = list(Device.objects.filter(organization=org).values_list("device_id", flat=True)[:20])
    except Exception:
        device_ids = []
    from custos.audit.models import AuditLog

    return {
        "token": token,
        "pipeline_id": pipeline_ids[0],
        "device_ids": device_ids,
        "rows": {
            "pipelines": len(pipeline_ids),
            "alerts": rows_per_list,
            "audit": AuditLog.objects.filter(organization_id=org.pk).count(),
            **built,
        },
    }


def routes_for(data: dict[str, Any]) -> list[Route]:
    pipeline = {
        "name": "Bench {n}",
        "diameter_mm": 600,
        "material": "steel",
        "route": {"type": "LineString", "coordinates": [[0.0, 0.0], [0.1, 0.0]]},
    }
    routes = [
        Route("health", "GET", HEALTH, auth=False),
        Route("users/me", "GET", "/api/auth/users/me/"),
        Route("audit-logs 50", "GET", "/api/audit-logs/?page_size=50", list_route=True),
        Route("pipelines 50", "GET", "/api/pipelines/?page_size=50", list_route=True),
        Route("alerts 50", "GET", "/api/alerts/?page_size=50", list_route=True),
        Route("twin devices 50", "GET", "/api/devices?limit=50", list_route=True),
        Route("sqal history 50", "GET", "/api/analysis/history/?limit=50", list_route=True),
        Route("designs 50", "GET", "/api/designs/?page_size=50", list_route=True),
        Route("pipeline detail", "GET", f"/api/pipelines/{data['pipeline_id']}/"),
        Route("pipeline create", "POST", "/api/pipelines/", body=json.dumps(pipeline), status=201),
    ]
    devices = data.get("device_ids") or []
    if devices:
        readings = [
            {
                "device_id": devices[i % len(devices)],
                "timestamp": f"2025-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
                "value": 20.0 + i / 10,
            }
            for i in range(INGEST_BATCH)
        ]
        routes.append(
            Route(f"twin ingest x{INGEST_BATCH}", "POST", "/api/readings", body=json.dumps(readings), status=201)
        )
    return routes


# --- Environments ----------------------------------------------------------------------------------


def base_environment(home: Path, root: Path = REPO_ROOT) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED_VARIABLES and not name.startswith(SCRUBBED_PREFIXES)
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        PYTHONPATH=str(root),
        CUSTOS_HOME=str(home),
        CUSTOS_EMBEDDED_WORKER="false",
        LOG_LEVEL="WARNING",
        CUSTOS_ADMIN_PASSWORD=PASSWORD,
        # The documents' per-user limits (100 a minute) would turn a load test into a 429 test.
        ENGINEL_RATE_LIMIT_PER_HOUR=str(10**9),
        ENGINEL_RATE_LIMIT_PER_MINUTE=str(10**9),
    )
    return env


def reset_scaled_services(database_url: str, redis_url: str) -> None:
    """Drop and re-create the bench database, flush the bench Redis database."""
    import psycopg
    import redis

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise BenchError(f"--database-url must name a plain database, got {name!r}")
    admin_url = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()


def run_checked(command: list[str], env: dict[str, str], what: str, timeout: float = 600, cwd: Path = REPO_ROOT) -> str:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise BenchError(f"{what} failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    return completed.stdout


# --- Load ------------------------------------------------------------------------------------------


def request(port: int, route: Route, token: str | None) -> tuple[int, bytes]:
    import http.client

    headers = {"Content-Type": "application/json"}
    if token and route.auth:
        headers["Authorization"] = f"Bearer {token}"
    body = route.body.replace("{n}", "00") if route.body else None
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(route.method, route.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_ready(process: subprocess.Popen[bytes], port: int, log_path: Path, path: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with code {process.returncode}:\n{log_tail(log_path)}")
        try:
            request(port, Route("probe", "GET", path, auth=False), None)
        except OSError:
            time.sleep(0.3)
            continue
        return
    raise BenchError(f"the server did not answer within {STARTUP_TIMEOUT:.0f}s:\n{log_tail(log_path)}")


# Each connection's thread numbers its bodies; the run prefix keeps names unique across wrk runs.
LUA_POST = """
local counter = 0
local template = [==[{body}]==]
request = function()
  counter = counter + 1
  local body = string.gsub(template, "{n}", "{prefix}-" .. counter)
  return wrk.format("POST", nil, nil, body)
end
"""


def run_wrk(url: str, route: Route, token: str | None, seconds: int, connections: int, workdir: Path) -> WrkResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", WRK_REQUEST_TIMEOUT, "--latency"]
    if token and route.auth:
        command += ["-H", f"Authorization: Bearer {token}"]
    if route.method == "POST":
        prefix = uuid.uuid4().hex[:12]
        script = workdir / f"post-{prefix}.lua"
        script.write_text(LUA_POST.replace("{body}", route.body).replace("{prefix}", prefix))
        command += ["-H", "Content-Type: application/json", "-s", str(script)]
    completed = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False)
    if completed.returncode != 0:
        raise BenchError(f"wrk failed (exit {completed.returncode}): {completed.stderr or completed.stdout}")
    return parse_wrk(completed.stdout)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def serve(
    env: dict[str, str],
    workers: int,
    routes: Sequence[Route],
    token: str | None,
    options: argparse.Namespace,
    workdir: Path,
    label: str,
    result: ModeResult,
    root: Path = REPO_ROOT,
) -> None:
    port = free_port()
    log_path = workdir / f"serve-{label}.log"
    command = [sys.executable, "-m", "custos", "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers)]
    with running_server(command, env, log_path, cwd=root) as process:
        wait_until_ready(process, port, log_path, routes[0].path)
        for route in routes:
            status, body = request(port, route, token)
            if status != route.status:
                if status in (401, 403, 404, 405) or (status >= 500 and route.method == "POST"):
                    result.skipped[route.key] = f"answers {status}"
                    continue
                raise BenchError(
                    f"{route.method} {route.path}: expected {route.status}, got {status} {body[:300]!r}\n"
                    f"--- server log ---\n{log_tail(log_path)}"
                )
            url = f"http://{HOST}:{port}{route.path}"
            run_wrk(url, route, token, options.warmup, options.connections, workdir)
            outcome = run_wrk(url, route, token, options.duration, options.connections, workdir)
            result.results[route.key] = outcome
            progress(
                f"    {route.key:22s} {outcome.requests_per_second:8.0f} req/s  p50 {outcome.p50_ms:7.2f} ms"
                f"  p99 {outcome.p99_ms:7.2f} ms  errors {outcome.errors}"
            )
        if process.poll() is not None:
            raise BenchError(f"the server exited during the run:\n{log_tail(log_path)}")


def run_mode(mode: str, options: argparse.Namespace, workdir: Path, root: Path = REPO_ROOT) -> ModeResult:
    """Load the data and measure every route on the code in ``root`` (this checkout, or a baseline's)."""
    label = mode if root == REPO_ROOT else f"{mode}-baseline"
    home = workdir / label
    env = base_environment(home, root)
    workers = options.embedded_workers if mode == "embedded" else options.scaled_workers
    if mode == "scaled":
        env.update(DATABASE_URL=options.database_url, REDIS_URL=options.redis_url, CELERY_BROKER_URL=options.redis_url)
        reset_scaled_services(options.database_url, options.redis_url)
    progress(f"[{label}] migrating and loading {options.rows} rows per list")
    run_checked([sys.executable, "-m", "custos", "migrate"], env, "migrate", cwd=root)
    prepare_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    script = root / "bench" / "serving.py"
    output = run_checked(
        [sys.executable, str(script), "--prepare", str(options.rows)], prepare_env, "data loading", cwd=root
    )
    data = json.loads(output.strip().splitlines()[-1])
    routes = routes_for(data)
    result = ModeResult(mode, workers, data["rows"], lists={route.key for route in routes if route.list_route})
    progress(f"[{label}] custos serve --workers {workers}")
    serve(env, workers, routes, data["token"], options, workdir, label, result, root)
    progress(f"[{label}] the same server under bench.http_settings: the bare DRF view and the floor page")
    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.http_settings"}
    bare = ModeResult(mode, workers, {})
    serve(
        bare_env,
        workers,
        [Route("bare DRF view", "GET", BARE, auth=False), Route(FLOOR_KEY, "GET", FLOOR)],
        data["token"],
        options,
        workdir,
        label + "-bare",
        bare,
        root,
    )
    result.results.update(bare.results)
    result.skipped.update(bare.skipped)
    return result


@contextmanager
def baseline_checkout(revision: str, workdir: Path) -> Iterator[Path]:
    """The tree of ``revision`` in a temporary git worktree (removed afterwards)."""
    tree = workdir / "baseline-tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), revision], cwd=REPO_ROOT, check=True, capture_output=True
    )
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO_ROOT, check=False)


# --- Report ----------------------------------------------------------------------------------------


def report(results: Sequence[ModeResult], options: argparse.Namespace) -> str:
    lines = [
        f"wrk -t1 -c{options.connections} -d{options.duration}s --latency after a {options.warmup}s warm-up;"
        f" nproc {len(os.sched_getaffinity(0))}; {options.rows} rows per list",
    ]
    for mode in results:
        health = mode.results.get("health")
        before = mode.baseline
        lines.append("")
        rows = ", ".join(f"{name} {count}" for name, count in mode.rows.items())
        lines.append(f"{mode.mode} mode, custos serve --workers {mode.workers} (rows: {rows})")
        floor = mode.results.get(FLOOR_KEY)
        header = (
            f"{'route':24s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'x health':>9s} {'x floor':>8s} {'errors':>6s}"
        )
        if before is not None:
            header += f" | {'before':>8s} {'p99 ms':>8s} {'x health':>9s} {'after/before':>12s}"
            lines.append(f"(after: this checkout; before: {options.baseline})")
        lines.append(header)
        lines.append("-" * len(header))
        for key, outcome in mode.results.items():
            share = outcome.requests_per_second / health.requests_per_second if health else 0.0
            of_floor = (
                f"{outcome.requests_per_second / floor.requests_per_second:8.2f}"
                if floor and floor.requests_per_second and key in mode.lists
                else f"{'':8s}"
            )
            line = (
                f"{key:24s} {outcome.requests_per_second:8.0f} {outcome.p50_ms:8.2f} {outcome.p99_ms:8.2f}"
                f" {share:9.2f} {of_floor} {outcome.errors:6d}"
            )
            old = before.results.get(key) if before is not None else None
            if old is not None and before is not None:
                old_health = before.results.get("health")
                old_share = old.requests_per_second / old_health.requests_per_second if old_health else 0.0
                gain = outcome.requests_per_second / old.requests_per_second if old.requests_per_second else 0.0
                line += f" | {old.requests_per_second:8.0f} {old.p99_ms:8.2f} {old_share:9.2f} {gain:11.2f}x"
            lines.append(line)
        for key, why in mode.skipped.items():
            lines.append(f"{key:24s} skipped: {why}")
    # The runner's lines (python -m bench): each route's rate beside the liveness route of the same
    # server (or, with --baseline, beside the same route on the baseline's code), and its p99.
    lines.append("")
    for mode in results:
        health = mode.results.get("health")
        for key, outcome in mode.results.items():
            name = "serving_" + mode.mode + "_" + "".join(c if c.isalnum() else "_" for c in key).strip("_")
            old = mode.baseline.results.get(key) if mode.baseline is not None else None
            if old is not None:
                lines.append(bench_line(f"{name}_rps", outcome.requests_per_second, "req/s", old.requests_per_second))
                lines.append(bench_line(f"{name}_p99", outcome.p99_ms, "ms", old.p99_ms))
                continue
            baseline = health.requests_per_second if health and key != "health" else None
            lines.append(bench_line(f"{name}_rps", outcome.requests_per_second, "req/s", baseline))
            lines.append(bench_line(f"{name}_p99", outcome.p99_ms, "ms"))
    return "\n".join(lines)


# --- Rate-limit counters, in-process (``--counters N``) ----------------------------------------------

COUNTER_BACKENDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("file cache (FileBasedCache)", "django.core.cache.backends.filebased.FileBasedCache", {}),
    ("embedded cache (settings CACHES)", "", {}),
)


def measure_counters(requests: int) -> str:
    """The rate-limit counting of one enginel request (the hourly and burst counters of
    ``custos.ops.throttles``, then the cache ``close()`` Django runs when a request finishes), timed
    in this process against Django's file cache and against the embedded mode's configured cache,
    each in a fresh directory. Returns the table."""
    from types import SimpleNamespace

    for name in SCRUBBED_VARIABLES:
        os.environ.pop(name, None)
    home = Path(tempfile.mkdtemp(prefix="custos-bench-counters-"))
    os.environ.update({"CUSTOS_HOME": str(home), "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.conf import settings
    from django.utils.module_loading import import_string

    from custos.ops import throttles

    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=1), auth=None)
    view = SimpleNamespace(action="list")
    lines = [f"Rate-limit counters of one enginel request, {requests} requests, one process", ""]
    lines.append(f"| {'backend':<34} | {'per request':>12} | {'counted':>8} |")
    lines.append(f"|{'-' * 36}|{'-' * 14}|{'-' * 10}|")
    try:
        for index, (label, path, params) in enumerate(COUNTER_BACKENDS):
            configured = settings.CACHES["default"]
            path = path or str(configured["BACKEND"])
            params = params or {key: value for key, value in configured.items() if key not in ("BACKEND", "LOCATION")}
            backend = import_string(path)(str(home / f"counters-{index}"), params)
            throttles.cache = backend
            checks = (throttles.EnginelHourlyThrottle(), throttles.EnginelBurstThrottle())
            for check in checks:  # creates the counters (first request of the window)
                check.allow_request(request, view)
            started = time.perf_counter()
            for _ in range(requests):
                for check in checks:
                    check.allow_request(request, view)
                backend.close()
            elapsed = time.perf_counter() - started
            hour = checks[0]
            counted = backend.get(f"custos:throttle:{hour.scope}:user:1:{int(hour.now // hour.window) * hour.window}")
            cost = f"{elapsed / requests * 1e6:,.0f} µs"
            lines.append(f"| {label:<34} | {cost:>12} | {counted:>8} |")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--modes", default="embedded,scaled", help="embedded, scaled or both (default both)")
    parser.add_argument("--rows", type=int, default=200, help="rows of each list (default 200)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=5, help="seconds measured per route (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per route (default 1)")
    parser.add_argument("--embedded-workers", type=int, default=1)
    parser.add_argument("--scaled-workers", type=int, default=2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/custos_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--baseline", default="", metavar="REV", help="also measure the code of commit REV, side by side"
    )
    parser.add_argument("--prepare", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--counters", type=int, default=0, metavar="N", help="only time N requests' rate-limit counters in-process"
    )
    args = parser.parse_args(argv)
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if not modes or set(modes) - {"embedded", "scaled"}:
        parser.error("--modes takes embedded, scaled or embedded,scaled")
    args.mode_list = modes
    for name in ("rows", "connections", "duration", "warmup", "embedded_workers", "scaled_workers"):
        if getattr(args, name) < 1 and not (name == "rows" and args.prepare):
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if options.prepare:
        print(json.dumps(_prepare(options.prepare)))
        return 0
    if options.counters:
        print(measure_counters(options.counters), flush=True)
        return 0
    if shutil.which("wrk") is None:
        print(f"bench/serving.py needs wrk. Install it with:\n    {WRK_INSTALL_HINT}", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory(prefix="custos-bench-serving-") as tmp:
        try:
            with ExitStack() as stack:
                tree = stack.enter_context(baseline_checkout(options.baseline, Path(tmp))) if options.baseline else None
                for mode in options.mode_list:
                    result = run_mode(mode, options, Path(tmp))
                    if tree is not None:
                        result.baseline = run_mode(mode, options, Path(tmp), tree)
                    results.append(result)
        except (BenchError, subprocess.CalledProcessError) as exc:
            print(f"bench/serving.py: {exc}", file=sys.stderr)
            return 1
    print(report(results, options), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
