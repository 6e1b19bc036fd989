"""``custos serve``'s supervision of its embedded worker: restart with back-off, logged, shown in health."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from custos.ops.supervisor import WorkerSupervisor, read_status

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _wait(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def supervised(tmp_path):
    made: list[WorkerSupervisor] = []

    def build(command, **options) -> tuple[WorkerSupervisor, list[str]]:
        messages: list[str] = []
        supervisor = WorkerSupervisor(
            command,
            status_file=tmp_path / "run" / "embedded-worker.json",
            initial_backoff=0.1,
            poll_interval=0.02,
            report=messages.append,
            **options,
        )
        made.append(supervisor)
        return supervisor, messages

    yield build
    for supervisor in made:
        supervisor.stop(timeout=5)


def test_a_killed_worker_is_restarted_logged_and_recorded(supervised, tmp_path):
    supervisor, messages = supervised(SLEEPER)
    supervisor.start()
    first = supervisor.process.pid
    status = read_status(supervisor.status_file)
    assert (status["pid"], status["state"], status["restarts"], status["supervisor_pid"]) == (
        first,
        "running",
        0,
        os.getpid(),
    )

    os.kill(first, signal.SIGKILL)
    _wait(lambda: supervisor.restarts == 1 and supervisor.state == "running")
    second = supervisor.process.pid
    assert second != first and _alive(second)
    status = read_status(supervisor.status_file)
    assert (status["pid"], status["state"], status["restarts"], status["last_exit_code"]) == (
        second,
        "running",
        1,
        -signal.SIGKILL,
    )
    assert messages[0] == (
        f"custos: the embedded job worker (pid {first}) exited with code -9; restarting it in 0.1 s (restart 1)"
    )
    assert messages[1] == f"custos: embedded job worker restarted (pid {second})"

    supervisor.stop(timeout=5)
    assert not _alive(second) or os.waitpid(second, os.WNOHANG) is not None
    assert not supervisor.status_file.exists(), "a stopped serve leaves no status behind"


def test_the_back_off_doubles_while_the_worker_keeps_dying_and_is_capped(supervised):
    supervisor, messages = supervised([sys.executable, "-c", "raise SystemExit(3)"], max_backoff=0.4)
    supervisor.start()
    _wait(lambda: supervisor.restarts >= 4, timeout=20)
    supervisor.stop(timeout=5)
    delays = [message.split("restarting it in ")[1].split(" s")[0] for message in messages if "exited" in message]
    assert delays[:5] == ["0.1", "0.2", "0.4", "0.4", "0.4"][: len(delays[:5])]
    assert len(delays) >= 4
    assert all("exited with code 3" in message for message in messages if "exited" in message)


def test_stop_during_the_back_off_does_not_start_another_worker(supervised):
    supervisor, _ = supervised(SLEEPER, max_backoff=5)
    supervisor.initial_backoff = supervisor._backoff = 5.0
    supervisor.start()
    os.kill(supervisor.process.pid, signal.SIGKILL)
    _wait(lambda: supervisor.state == "restarting")
    supervisor.stop(timeout=5)
    assert supervisor.restarts == 0
    assert supervisor.state == "stopped"


@pytest.mark.django_db
def test_detailed_health_shows_the_supervised_worker(supervised, api_client, settings, tmp_path):
    settings.CUSTOS_HOME = tmp_path
    assert "worker" not in api_client.get("/api/health/detailed/").json()["checks"], "no serve: no worker check"

    supervisor, _ = supervised(SLEEPER)
    supervisor.start()
    os.kill(supervisor.process.pid, signal.SIGKILL)
    _wait(lambda: supervisor.restarts == 1 and supervisor.state == "running")
    body = api_client.get("/api/health/detailed/").json()
    assert body["checks"]["worker"] == "ok"
    assert body["worker"] == {
        "state": "running",
        "pid": supervisor.process.pid,
        "restarts": 1,
        "last_exit_code": -9,
    }

    # while the worker is down the check fails (503) and says why
    supervisor.initial_backoff = supervisor._backoff = 30.0
    os.kill(supervisor.process.pid, signal.SIGKILL)
    _wait(lambda: supervisor.state == "restarting")
    down = api_client.get("/api/health/detailed/")
    assert down.status_code == 503
    assert down.json()["checks"]["worker"] == "error: restarting after exit code -9 (1 restarts so far)"


@pytest.mark.django_db
def test_a_status_left_by_a_dead_serve_is_ignored(api_client, settings, tmp_path):
    settings.CUSTOS_HOME = tmp_path
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "embedded-worker.json").write_text(
        '{"supervisor_pid": 999999999, "pid": 1, "state": "running", "restarts": 4, "last_exit_code": null}'
    )
    body = api_client.get("/api/health/detailed/").json()
    assert "worker" not in body["checks"] and "worker" not in body
