"""One live ``custos serve`` for the conformance session: embedded mode on its own CUSTOS_HOME, the demo
data loaded (organizations with one persona per role, a pipeline, a series with a processed design, a
firmware campaign), logged in through the API, and the ids of real objects found through the API."""

from __future__ import annotations

import os
import re
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
    drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "MQTT_URL"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
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

    def prepare(self) -> None:
        """Migrate and load the demo data (one process, before the server starts)."""
        result = subprocess.run(
            [sys.executable, "-m", "custos", "demo", "--quiet"],
            cwd=ROOT,
            env={**self.env, "CUSTOS_EMBEDDED_WORKER": "false"},
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

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class Api:
    """Calls against the live server, as a persona or anonymously."""

    def __init__(self, base: str, home: Path | None = None) -> None:
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
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
