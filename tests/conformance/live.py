"""One live ``custos serve`` for the conformance session: embedded mode on its own CUSTOS_HOME, the demo
data loaded (organizations with one persona per role, a pipeline, a series with a processed design, a
firmware campaign), logged in through the API, and the ids of real objects found through the API."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "custos-demo-2026"
STAFF_EMAIL = "staff@conformance.example"
STAFF_PASSWORD = "conformance-staff-password-2026"
ROLES = ("OWNER", "ADMIN", "MEMBER", "VIEWER")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    # What the test process itself was given must not reach the server: the scaled-mode services, and
    # config/test_settings.py's own CUSTOS_TEST_RUN_HOME and CUSTOS_EMBEDDED_WORKER=false (a server
    # without its embedded worker never runs a job: every processing wait would time out).
    drop = {
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "DJANGO_SETTINGS_MODULE",
        "MQTT_URL",
        "CUSTOS_TEST_RUN_HOME",
        "CUSTOS_EMBEDDED_WORKER",
    }
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        CUSTOS_EMBEDDED_WORKER="true",
        CUSTOS_HOME=str(home),
        CUSTOS_ADMIN_EMAIL=STAFF_EMAIL,
        CUSTOS_ADMIN_PASSWORD=STAFF_PASSWORD,
        STRIPE_WEBHOOK_SECRET="whsec_conformance",  # configured: a bad signature is a 400, not a 503
        LOG_LEVEL="WARNING",
        # The suite makes many accounts and calls from one address in a few minutes: the production
        # limits would answer 429 (the limits themselves are tested in their apps' suites).
        THROTTLE_AUTH_LOGIN="100000/min",
        THROTTLE_AUTH_REGISTER="100000/hour",
        THROTTLE_AUTH_RECOVERY="100000/hour",
        THROTTLE_AUTH_REFRESH="100000/min",
        ENGINEL_RATE_LIMIT_PER_HOUR="1000000",
        ENGINEL_RATE_LIMIT_PER_MINUTE="100000",
    )
    return env


class LiveServer:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = clean_env(home)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = home.parent / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def prepare(self, template: Path | None = None) -> None:
        """Migrate and load the demo data (one process, before the server starts).

        With ``template`` (a directory shared by the xdist workers of one run) the demo is loaded once,
        by the first worker to take the lock, into ``template``; every worker then starts from a copy of
        it (embedded mode keeps everything under CUSTOS_HOME: the SQLite database, media, queue, secret).
        """
        if template is None:
            self._load_demo(self.env)
            return
        template.parent.mkdir(parents=True, exist_ok=True)
        with (template.parent / f"{template.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not (template / ".ready").exists():
                shutil.rmtree(template, ignore_errors=True)
                self._load_demo(clean_env(template))
                (template / ".ready").write_text("demo loaded\n")
        shutil.copytree(template, self.home, ignore=shutil.ignore_patterns(".ready"))

    @staticmethod
    def _load_demo(env: dict[str, str]) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "custos", "demo", "--quiet"],
            cwd=ROOT,
            env={**env, "CUSTOS_EMBEDDED_WORKER": "false"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"custos demo failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 120) -> None:
        handle = self.log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "custos", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: ``stop`` can end Granian and the job worker too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/api/health/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"serve not ready in {timeout}s:\n{self.log.read_text()}")

    def stop(self, grace: float = 5) -> None:
        """SIGINT, then after ``grace`` seconds SIGKILL to the whole group: the home is thrown away, so
        the server need not finish its graceful stop (its job worker waits for the job it is running)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):  # nothing of the group left
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class Api:
    """Calls against the live server, as a persona or anonymously."""

    def __init__(self, base: str, home: Path | None = None) -> None:
        # A new connection per call: a kept-alive connection the server closed after answering early
        # (a 401 before reading the body) would fail the next call with "Server disconnected".
        self.http = httpx.Client(
            base_url=base, timeout=60, follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0)
        )
        self.tokens: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.ids: dict[str, Any] = {}
        self.mail_dir = (home or Path(".")) / "mail"

    def login(self, email: str, password: str) -> str:
        answer = self.http.post("/api/auth/jwt/create/", json={"email": email, "password": password})
        if answer.status_code != 200:
            raise RuntimeError(f"login {email}: {answer.status_code} {answer.text[:300]}")
        return str(answer.json()["access"])

    def headers(self, persona: str | None) -> dict[str, str]:
        if persona is None:
            return {}
        return {"Authorization": f"Bearer {self.tokens[persona]}"}

    def call(self, method: str, path: str, persona: str | None, body: Any = None, **extra: Any) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": {**self.headers(persona), **extra.pop("headers", {})}, **extra}
        if hasattr(body, "files") and hasattr(body, "data"):  # makers.Multipart
            kwargs.update(data=body.data, files=body.files or None)
        elif body is not None and "files" not in kwargs and "content" not in kwargs:
            kwargs["json"] = body
        try:
            return self.http.request(method, path, **kwargs)
        finally:
            self.http.cookies.clear()  # cookie logins must not leak credentials into later calls

    def throwaway(self) -> str:
        """A new account registered through the API, logged in; its persona name."""
        tag = uuid.uuid4().hex[:10]
        email = f"throwaway-{tag}@example.com"
        password = f"Conformance-{tag}-pw!"
        made = self.http.post(
            "/api/auth/users/",
            json={"email": email, "username": f"tw{tag}", "password": password, "re_password": password},
        )
        if made.status_code != 201:
            raise RuntimeError(f"register: {made.status_code} {made.text[:300]}")
        self.tokens[email] = self.login(email, password)
        self.passwords[email] = password
        self.ids[f"user:{email}"] = str(made.json()["id"])
        return email


def items_of(payload: Any) -> list[Any]:
    """The objects of a list answer in any dialect's envelope."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in ("results", "items", "data"):
            value = payload.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                return items_of(value)
    return []


def id_of(item: Any, placeholder: str) -> str | None:
    if not isinstance(item, dict):
        return None
    names = [placeholder, re.sub(r"_(\w)", lambda m: m.group(1).upper(), placeholder), "id", "uuid", "task_id"]
    for name in names:
        if item.get(name) not in (None, ""):
            return str(item[name])
    data = item.get("data")
    return id_of(data, placeholder) if isinstance(data, dict) else None
