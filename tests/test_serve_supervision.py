"""``custos serve`` restarts its embedded worker when the worker dies, and says so in the health check."""

from __future__ import annotations

import signal
import time

import httpx
import psutil
import pytest

from tests.test_config import _clean_env, _custos
from tests.test_serve import Server


def _worker_pids(server: Server) -> list[int]:
    return [
        child.pid
        for child in psutil.Process(server.process.pid).children(recursive=False)
        if "worker" in child.cmdline()
    ]


def _health(server: Server) -> httpx.Response:
    return httpx.get(f"{server.base}/api/health/detailed/", timeout=10)


@pytest.mark.slow
def test_a_killed_embedded_worker_is_restarted_and_shown_in_health(tmp_path):
    env = _clean_env(tmp_path)
    env.pop("CUSTOS_EMBEDDED_WORKER", None)
    server = Server(env, tmp_path / "serve.log")
    try:
        server.wait_ready()
        [first] = _worker_pids(server)
        body = _health(server).json()
        assert body["checks"]["worker"] == "ok"
        assert body["worker"] == {"state": "running", "pid": first, "restarts": 0, "last_exit_code": None}

        psutil.Process(first).send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 60
        body = {}
        while time.monotonic() < deadline:
            body = _health(server).json()
            if body.get("worker", {}).get("restarts") == 1 and body["worker"]["state"] == "running":
                break
            time.sleep(0.3)
        assert body["worker"]["restarts"] == 1, body
        assert body["worker"]["last_exit_code"] == -signal.SIGKILL
        [second] = _worker_pids(server)
        assert second != first and body["worker"]["pid"] == second
        log = server.log.read_text()
        assert f"the embedded job worker (pid {first}) exited with code -9; restarting it in 1 s" in log
        assert f"embedded job worker restarted (pid {second})" in log

        ping = "from config.celery import app; print(app.send_task('custos.ops.ping').get(timeout=60))"
        answered = _custos("manage", "shell", "-c", ping, env=env, timeout=90)
        assert answered.stdout.strip().splitlines()[-1] == "pong", "the restarted worker runs jobs"
    finally:
        children = server.stop()
    assert not [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert not (tmp_path / "home" / "run" / "embedded-worker.json").exists()
