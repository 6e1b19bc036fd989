"""How should Custos serve HTTP? Throughput and latency of six server set-ups, measured with wrk.

Custos's views are synchronous DRF views, and WebSockets must share the HTTP port. This script starts
each candidate server in turn on 127.0.0.1 (a free port each, the same number of worker processes
for all), checks that both endpoints answer correctly, warms the server up, loads it with ``wrk`` and
prints requests/s and p50/p99 latency side by side:

  1. granian --interface wsgi  config.wsgi           WSGI, HTTP only: the ceiling
  2. granian --interface asgi  config.asgi           the current choice: custos.ops.http_bridge + Channels
  3. granian --interface asgi  native Django ASGI    bench/http_asgi_native.py (+ Channels)
  4. uvicorn                   config.asgi           the custos bridge under uvicorn
  5. uvicorn                   native Django ASGI
  6. gunicorn (sync workers)   config.wsgi           WSGI, HTTP only: the classic baseline
  7. granian --interface asgi  a2wsgi composite      bench/http_asgi_a2wsgi.py: the bridge used before

Candidates 1 and 6 cannot carry WebSockets; they show what HTTP alone could reach.

The endpoints (bench/http_urls.py, served under bench/http_settings.py so the product is unchanged):

  hello  GET /bench/hello  a bare DRF APIView, no authentication, returning {"hello": "world"}
  users  GET /bench/users  a ListAPIView with the project's default authentication (JWT Bearer,
                           simplejwt) listing 20 users through PipelinePagination

Everything runs in embedded mode against a fresh temporary CUSTOS_HOME (SQLite), migrated first
with ``python -m django migrate --settings=bench.http_settings``; the embedded job worker is off and
logging is at WARNING. Thread pools (the bridges' CUSTOS_HTTP_THREADS, granian WSGI's blocking threads)
get ``--threads`` threads; gunicorn's sync workers handle one request at a time, and Django's ASGI
handler runs synchronous code on one thread per process whatever the setting.

Run it from the repository root (needs ``wrk``: apt-get update && apt-get install -y wrk)::

    .venv/bin/python bench/http.py                      # all six, about 2.5 minutes
    .venv/bin/python bench/http.py --workers 2 --connections 32 --duration 10 --only 1,2,3

Exit status: 0 after printing the table, 1 when a server fails to start or answers wrongly,
2 when wrk is missing or the arguments are invalid.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "bench.http_settings"
WRK_INSTALL_HINT = "apt-get update && apt-get install -y wrk"

WSGI_APP = "config.wsgi:application"
COMPOSITE_APP = "config.asgi:application"
NATIVE_APP = "bench.http_asgi_native:application"
A2WSGI_APP = "bench.http_asgi_a2wsgi:application"
APP_NAMES = {
    WSGI_APP: "config.wsgi",
    COMPOSITE_APP: "custos bridge",
    NATIVE_APP: "native Django ASGI",
    A2WSGI_APP: "a2wsgi bridge",
}

HELLO_PATH = "/bench/hello"
USERS_PATH = "/bench/users"
USER_COUNT = 20

STARTUP_TIMEOUT = 60.0  # seconds for a server to answer its first request
STOP_TIMEOUT = 10.0  # seconds of grace after SIGTERM before the process group is killed
WRK_THREADS = 1
WRK_REQUEST_TIMEOUT = "10s"  # slow answers are measured, not dropped as wrk timeouts

# Variables of the caller's shell that would move Custos out of embedded mode, or quietly reconfigure
# one of the servers, and so skew the comparison.
SCRUBBED_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "MEDIA_ROOT",
    "ALLOWED_HOSTS",
    "DEBUG",
    "WEB_CONCURRENCY",
    "GUNICORN_CMD_ARGS",
)
SCRUBBED_PREFIXES = ("GRANIAN_", "UVICORN_")


class BenchError(RuntimeError):
    """A candidate could not be measured; the run stops."""


@dataclass(frozen=True)
class Options:
    workers: int
    threads: int
    connections: int
    duration: int
    warmup: int
    only: tuple[int, ...]


@dataclass(frozen=True)
class Candidate:
    number: int
    server: Literal["granian", "uvicorn", "gunicorn"]
    interface: Literal["wsgi", "asgi"]
    app: str
    websockets: bool

    @property
    def label(self) -> str:
        server = {"granian": f"granian {self.interface}", "uvicorn": "uvicorn", "gunicorn": "gunicorn sync"}
        return f"{server[self.server]}, {APP_NAMES[self.app]}"

    def command(self, port: int, options: Options) -> list[str]:
        python = sys.executable
        workers = str(options.workers)
        if self.server == "granian":
            command = [python, "-m", "granian", "--interface", self.interface, "--host", HOST]
            command += ["--port", str(port), "--workers", workers]
            command += ["--log-level", "warning", "--no-access-log"]
            if self.interface == "wsgi":
                command += ["--blocking-threads", str(options.threads)]
            return [*command, self.app]
        if self.server == "uvicorn":
            command = [python, "-m", "uvicorn", self.app, "--host", HOST, "--port", str(port)]
            command += ["--workers", workers, "--log-level", "warning", "--no-access-log"]
            return [*command, "--lifespan", "on"]
        command = [python, "-m", "gunicorn", self.app, "--bind", f"{HOST}:{port}", "--workers", workers]
        return [*command, "--worker-class", "sync", "--log-level", "warning"]


CANDIDATES = (
    Candidate(1, "granian", "wsgi", WSGI_APP, websockets=False),
    Candidate(2, "granian", "asgi", COMPOSITE_APP, websockets=True),  # the current choice
    Candidate(3, "granian", "asgi", NATIVE_APP, websockets=True),
    Candidate(4, "uvicorn", "asgi", COMPOSITE_APP, websockets=True),
    Candidate(5, "uvicorn", "asgi", NATIVE_APP, websockets=True),
    Candidate(6, "gunicorn", "wsgi", WSGI_APP, websockets=False),
    Candidate(7, "granian", "asgi", A2WSGI_APP, websockets=True),  # the bridge before custos.ops.http_bridge
)


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    path: str
    authenticated: bool


ENDPOINTS = (
    Endpoint("hello", "hello (AllowAny)", HELLO_PATH, authenticated=False),
    Endpoint("users", f"users (JWT, {USER_COUNT} rows)", USERS_PATH, authenticated=True),
)


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx answers


# --- Set-up ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (default 1)")
    parser.add_argument("--threads", type=int, default=16, help="thread-pool size where a server has one (default 16)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=int, default=8, help="seconds measured per endpoint (default 8)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint (default 2)")
    parser.add_argument("--only", default="", help="comma-separated candidate numbers, e.g. 1,2,3")
    args = parser.parse_args(argv)
    for name in ("workers", "threads", "connections", "duration", "warmup"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.connections < WRK_THREADS:
        parser.error(f"--connections must be at least {WRK_THREADS}")
    known = {candidate.number for candidate in CANDIDATES}
    try:
        only = tuple(sorted({int(part) for part in args.only.split(",") if part.strip()}))
    except ValueError:
        parser.error("--only takes candidate numbers, e.g. 1,2,3")
    if set(only) - known:
        parser.error(f"--only: candidates are numbered {min(known)} to {max(known)}")
    return Options(args.workers, args.threads, args.connections, args.duration, args.warmup, only)


def unshadow_stdlib_http() -> None:
    """``python bench/http.py`` puts bench/ first on sys.path, where this very file would shadow the
    standard library's ``http`` package (which http.client and Django import). Put the repository
    root there instead."""
    bench_dir = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != bench_dir]
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))


def bench_environment(home: Path, options: Options) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SCRUBBED_VARIABLES and not name.startswith(SCRUBBED_PREFIXES)
    }
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        PYTHONPATH=str(REPO_ROOT),
        CUSTOS_HOME=str(home),
        CUSTOS_EMBEDDED_WORKER="false",
        CUSTOS_HTTP_THREADS=str(options.threads),
        LOG_LEVEL="WARNING",
    )
    return env


def prepare_database(env: dict[str, str]) -> str:
    """Migrate the fresh database, create the users and return a Bearer access token for one of them."""
    migrate = [sys.executable, "-m", "django", "migrate", "--no-input", "--verbosity", "0"]
    completed = subprocess.run(
        [*migrate, f"--settings={SETTINGS_MODULE}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise BenchError(f"migrate failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")

    # The rest runs in this process, against the same database and SECRET_KEY file as the servers.
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections
    from rest_framework_simplejwt.tokens import RefreshToken

    user_model = get_user_model()
    users = [
        user_model.objects.create_user(email=f"bench{index:02d}@bench.invalid", username=f"bench{index:02d}")
        for index in range(USER_COUNT)
    ]
    token = str(RefreshToken.for_user(users[0]).access_token)
    connections.close_all()
    return token


# --- Servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's whole process group, then SIGKILL whatever is left (workers included)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def running_server(
    command: list[str], env: dict[str, str], log_path: Path, cwd: Path = REPO_ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that stopping it reaches every worker
        )
    try:
        yield process
    finally:
        stop_process_group(process)


def log_tail(log_path: Path, limit: int = 3000) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return text[-limit:].strip() or "(server log is empty)"


def get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    import http.client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with code {process.returncode}:\n{log_tail(log_path)}")
        try:
            get(port, HELLO_PATH)
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise BenchError(f"the server did not answer within {STARTUP_TIMEOUT:.0f}s:\n{log_tail(log_path)}")


def check_answers(port: int, token: str, log_path: Path) -> None:
    """Both endpoints must answer 200 with the expected body, and the list must refuse anonymous calls."""

    def fail(what: str, status: int, body: bytes) -> BenchError:
        excerpt = body[:300].decode(errors="replace")
        return BenchError(f"{what}: HTTP {status} {excerpt}\n--- server log ---\n{log_tail(log_path)}")

    status, body = get(port, HELLO_PATH)
    if status != 200 or json.loads(body or b"null") != {"hello": "world"}:
        raise fail(f"GET {HELLO_PATH} should answer 200 {{'hello': 'world'}}", status, body)
    status, body = get(port, USERS_PATH, token)
    payload: Any = json.loads(body or b"null") if status == 200 else None
    listed = (payload.get("count"), len(payload.get("results", ()))) if isinstance(payload, dict) else None
    if status != 200 or listed != (USER_COUNT, USER_COUNT):
        raise fail(f"GET {USERS_PATH} with the token should answer 200 with {USER_COUNT} users", status, body)
    status, body = get(port, USERS_PATH)
    if status != 401:
        raise fail(f"GET {USERS_PATH} without a token should answer 401", status, body)


# --- Load ------------------------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = r"^\s*{}%\s+([\d.]+)(us|ms|s|m|h)\s*$"


def parse_wrk(output: str) -> WrkResult:
    def search(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise BenchError(f"could not find {pattern!r} in wrk's output:\n{output}")
        return match

    def percentile(level: int) -> float:
        match = search(_PERCENTILE.format(level))
        return float(match.group(1)) * _UNIT_MS[match.group(2)]

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(count) for count in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(
        requests_per_second=float(search(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        requests=int(search(r"(\d+) requests in").group(1)),
        errors=errors,
    )


def run_wrk(url: str, seconds: int, options: Options, token: str | None) -> WrkResult:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{options.connections}", f"-d{seconds}s"]
    command += ["--timeout", WRK_REQUEST_TIMEOUT, "--latency"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    completed = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30, check=False)
    if completed.returncode != 0:
        raise BenchError(f"wrk failed (exit {completed.returncode}): {completed.stderr or completed.stdout}")
    return parse_wrk(completed.stdout)


def measure(
    candidate: Candidate, options: Options, env: dict[str, str], token: str, workdir: Path
) -> dict[str, WrkResult]:
    port = free_port()
    log_path = workdir / f"server-{candidate.number}.log"
    results: dict[str, WrkResult] = {}
    with running_server(candidate.command(port, options), env, log_path) as process:
        try:
            wait_until_ready(process, port, log_path)
            check_answers(port, token, log_path)
        except BenchError as exc:
            raise BenchError(f"candidate {candidate.number} ({candidate.label}): {exc}") from None
        for endpoint in ENDPOINTS:
            url = f"http://{HOST}:{port}{endpoint.path}"
            bearer = token if endpoint.authenticated else None
            run_wrk(url, options.warmup, options, bearer)
            results[endpoint.key] = result = run_wrk(url, options.duration, options, bearer)
            progress(
                f"    {endpoint.key:5s} {result.requests_per_second:9.0f} req/s"
                f"  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
            )
        if process.poll() is not None:
            raise BenchError(f"candidate {candidate.number} exited during the run:\n{log_tail(log_path)}")
    return results


# --- Report ----------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def machine_facts(options: Options) -> list[str]:
    cpu_model = "?"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    wrk_line = (wrk_version.stdout or wrk_version.stderr).splitlines()[0].split(" Copyright")[0]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(
        f"{name} {version_of(name)}"
        for name in ("granian", "uvicorn", "gunicorn", "a2wsgi", "Django", "channels", "djangorestframework")
    )
    return [
        f"machine   {platform.system()} {platform.machine()}, nproc {usable} ({cpu_model}),"
        f" Python {platform.python_version()}",
        f"software  {versions}; {wrk_line}",
        f"load      wrk -t{WRK_THREADS} -c{options.connections} -d{options.duration}s --latency"
        f" after a {options.warmup}s warm-up; {options.workers} server worker process(es);"
        f" {options.threads} threads where a server has a pool",
    ]


def report(options: Options, candidates: Sequence[Candidate], results: dict[int, dict[str, WrkResult]]) -> None:
    label_width = max(len(c.label) for c in candidates) + 4
    cell = "{:>9} {:>8} {:>8} {:>6}"
    block_width = len(cell.format("", "", "", ""))
    lines = [*machine_facts(options), ""]
    lines.append(" " * (label_width + 5) + "  ".join(f"{e.title:^{block_width}}" for e in ENDPOINTS))
    lines.append(
        f"{'candidate':<{label_width}} {'ws':3} "
        + "  ".join(cell.format("req/s", "p50 ms", "p99 ms", "errors") for _ in ENDPOINTS)
    )
    lines.append("-" * len(lines[-1]))
    for candidate in candidates:
        blocks = []
        for endpoint in ENDPOINTS:
            result = results[candidate.number][endpoint.key]
            blocks.append(
                cell.format(
                    f"{result.requests_per_second:,.0f}",
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    result.errors,
                )
            )
        label = f"{candidate.number}. {candidate.label}"
        websockets = "yes" if candidate.websockets else "no"
        lines.append(f"{label:<{label_width}} {websockets:3} " + "  ".join(blocks))

    ceiling = results.get(1)
    with_websockets = [c for c in candidates if c.websockets]
    if with_websockets:
        lines.append("")
        for endpoint in ENDPOINTS:
            best = max(with_websockets, key=lambda c: results[c.number][endpoint.key].requests_per_second)
            rate = results[best.number][endpoint.key].requests_per_second
            share = ""
            if ceiling:
                share = f", {rate / ceiling[endpoint.key].requests_per_second:.0%} of candidate 1, WSGI"
            lines.append(
                f"fastest with WebSockets, {endpoint.key}: {best.number}. {best.label} ({rate:,.0f} req/s{share})"
            )
    if any(result.errors for by_endpoint in results.values() for result in by_endpoint.values()):
        lines.append("")
        lines.append("warning: some runs had socket errors or non-2xx answers; treat those rows with care")
    lines.extend(bench_lines(candidates, results))
    print("\n".join(lines), flush=True)


def bench_lines(candidates: Sequence[Candidate], results: dict[int, dict[str, WrkResult]]) -> list[str]:
    """The figures in the runner's convention: per candidate and endpoint req/s and p99, the baseline
    being candidate 1 (plain WSGI, the ceiling) measured in the same run."""
    from bench.common import bench_line  # bench/ is off sys.path here (unshadow_stdlib_http)

    ceiling = results.get(1, {})
    out = []
    for candidate in candidates:
        for endpoint in ENDPOINTS:
            result = results[candidate.number][endpoint.key]
            base = ceiling.get(endpoint.key)
            name = f"http_{candidate.number}_{candidate.server}_{candidate.interface}_{endpoint.key}"
            rps_baseline = base.requests_per_second if base and candidate.number != 1 else None
            p99_baseline = base.p99_ms if base and candidate.number != 1 else None
            out.append(bench_line(f"{name}_rps", result.requests_per_second, "req/s", baseline=rps_baseline))
            out.append(bench_line(f"{name}_p99", result.p99_ms, "ms", baseline=p99_baseline))
    return out


# --- Main ------------------------------------------------------------------------------------


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    if shutil.which("wrk") is None:
        print(f"bench/http.py needs wrk. Install it with:\n    {WRK_INSTALL_HINT}", file=sys.stderr)
        return 2
    unshadow_stdlib_http()
    signal.signal(signal.SIGTERM, _terminate)
    candidates = [c for c in CANDIDATES if not options.only or c.number in options.only]
    per_candidate = len(ENDPOINTS) * (options.warmup + options.duration) + 5
    progress(f"benchmarking {len(candidates)} candidate(s), about {len(candidates) * per_candidate}s")

    with tempfile.TemporaryDirectory(prefix="custos-bench-http-") as tmp:
        workdir = Path(tmp)
        env = bench_environment(workdir / "home", options)
        results: dict[int, dict[str, WrkResult]] = {}
        try:
            progress("migrating a fresh embedded database and creating the users")
            token = prepare_database(env)
            for candidate in candidates:
                progress(f"[{candidate.number}] {candidate.label}")
                results[candidate.number] = measure(candidate, options, env, token, workdir)
        except BenchError as exc:
            print(f"bench/http.py: {exc}", file=sys.stderr)
            return 1
    report(options, candidates, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
