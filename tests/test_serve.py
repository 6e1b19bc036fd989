"""``custos serve`` on the embedded defaults, as a new user runs it: first start, admin login, restart."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.test_config import ROOT, _clean_env, _custos

ADMIN_LINE = re.compile(r"created administrator (\S+) with password (\S+)\s+\(shown only once\)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "custos", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/api/health/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"serve not ready in {timeout}s:\n{self.log.read_text()}")

    def stop(self) -> list[int]:
        children = [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)]
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=40)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.handle.close()
        return children


def _admin_login(base: str, email: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:
        page = client.get("/admin/login/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found is not None, "no CSRF token on the admin login page"
        token = found.group(1)
        return client.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": email, "password": password, "next": "/admin/"},
            headers={"Referer": f"{base}/admin/login/"},
        )


@pytest.mark.slow
def test_first_start_creates_admin_and_a_restart_keeps_the_data(tmp_path):
    env = _clean_env(tmp_path)
    env.pop("CUSTOS_EMBEDDED_WORKER", None)
    first = Server(env, tmp_path / "first.log")
    try:
        first.wait_ready()
        health = httpx.get(f"{first.base}/api/health/detailed/", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["queue"] == "ok"
        match = ADMIN_LINE.search(first.log.read_text())
        assert match, first.log.read_text()
        email, password = match.groups()
        assert email == "admin@custos.local"
        login = _admin_login(first.base, email, password)
        assert (login.status_code, login.headers["location"]) == (302, "/admin/")
        assert _admin_login(first.base, email, "wrong-password").status_code == 200  # the form again
        ping = "from config.celery import app; print(app.send_task('custos.ops.ping').get(timeout=60))"
        answered = _custos("manage", "shell", "-c", ping, env=env, timeout=90)
        assert answered.stdout.strip().splitlines()[-1] == "pong", "the worker started by serve runs jobs"
    finally:
        children = first.stop()
    assert children, "serve starts the embedded job worker as a child process"
    assert not [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]

    second = Server(env, tmp_path / "second.log")
    try:
        second.wait_ready()
        assert "created administrator" not in second.log.read_text()
        login = _admin_login(second.base, email, password)
        assert (login.status_code, login.headers["location"]) == (302, "/admin/")
    finally:
        second.stop()


@pytest.mark.slow
def test_embedded_queue_keeps_a_job_queued_before_any_worker_runs(tmp_path):
    env = _clean_env(tmp_path)
    assert _custos("migrate", env=env).returncode == 0
    send = "from config.celery import app; print(app.send_task('custos.ops.ping').id)"
    sent = _custos("manage", "shell", "-c", send, env=env)
    assert sent.returncode == 0, sent.stderr
    task_id = sent.stdout.strip().splitlines()[-1]
    assert (tmp_path / "home" / "queue.sqlite3").exists(), "the job is stored on disk, not in memory"

    worker = subprocess.Popen(
        [sys.executable, "-m", "custos", "worker", "--concurrency", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait = f"from config.celery import app; print(app.AsyncResult({task_id!r}).get(timeout=60))"
        result = _custos("manage", "shell", "-c", wait, env=env, timeout=90)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "pong"


def test_prometheus_directory_is_set_for_several_processes_and_emptied_only_when_ours(tmp_path, monkeypatch):
    from custos.ops import multiprocess

    monkeypatch.setenv(multiprocess.ENV, "")  # recorded, so monkeypatch removes what prepare() sets
    monkeypatch.delenv(multiprocess.ENV)
    monkeypatch.setenv("CUSTOS_HOME", str(tmp_path / "home"))
    assert multiprocess.prepare(1) is None
    assert multiprocess.ENV not in os.environ

    ours = tmp_path / "home" / "run" / "prometheus"
    ours.mkdir(parents=True)
    (ours / "counter_123.db").write_bytes(b"stale")
    assert multiprocess.prepare(2) == ours
    assert list(ours.iterdir()) == []  # a previous run's samples are gone
    assert os.environ[multiprocess.ENV] == str(ours)

    # Set from outside (maybe shared by several `custos serve` of the machine): used as it is.
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "counter_456.db").write_bytes(b"live")
    monkeypatch.setenv(multiprocess.ENV, str(shared))
    assert multiprocess.prepare(1) == shared
    assert [path.name for path in shared.iterdir()] == ["counter_456.db"]
