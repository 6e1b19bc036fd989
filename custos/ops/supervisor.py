"""``custos serve`` supervises its embedded job worker (a child process).

When the worker exits while the server is running it is started again after a back-off (1 s, doubled
after each death in quick succession, at most ``CUSTOS_WORKER_RESTART_MAX_BACKOFF`` seconds; back to
1 s once a worker has run ``STABLE_AFTER`` seconds). Each death and restart is logged. The state
(pid, restarts, last exit code) is written to ``$CUSTOS_HOME/run/embedded-worker.json`` so that every
server process can show it in ``/api/health/detailed/`` (``custos.ops.checks.check_worker``); the
file is removed when ``serve`` stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger("custos.serve")

STABLE_AFTER = 60.0  # seconds a worker must live for its next death to restart after the first back-off
STATUS_FILE = "embedded-worker.json"


def status_path() -> Path:
    from django.conf import settings

    return Path(settings.CUSTOS_HOME) / "run" / STATUS_FILE


def read_status(path: Path | None = None) -> dict[str, Any] | None:
    """The supervisor's last written state, or ``None`` when no ``serve`` supervises a worker here."""
    path = path or status_path()
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def supervisor_alive(status: dict[str, Any]) -> bool:
    return _alive(status.get("supervisor_pid"))


class WorkerSupervisor:
    def __init__(
        self,
        command: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        status_file: Path,
        initial_backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable_after: float = STABLE_AFTER,
        poll_interval: float = 0.5,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.command = list(command)
        self.env = env
        self.status_file = status_file
        self.initial_backoff = initial_backoff
        self.max_backoff = max(max_backoff, initial_backoff)
        self.stable_after = stable_after
        self.poll_interval = poll_interval
        self.report = report
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self.last_exit_code: int | None = None
        self.last_restart_at: float | None = None
        self.started_at: float | None = None
        self.state = "starting"
        self._backoff = initial_backoff
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="custos-worker-supervisor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            process = self.process
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            self.state = "stopped"
        with contextlib.suppress(OSError):
            self.status_file.unlink()

    # --- supervision -----------------------------------------------------------------------------

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603 - our own interpreter
            self.started_at = time.monotonic()
            self.state = "running"
            self._write()

    def _say(self, message: str, *, warning: bool = True) -> None:
        (logger.warning if warning else logger.info)(message)
        if self.report is not None:
            self.report(message)

    def _watch(self) -> None:
        while not self._stopping.wait(self.poll_interval):
            process = self.process
            if process is None:
                continue
            code = process.poll()
            if code is None:
                continue
            lived = time.monotonic() - (self.started_at or time.monotonic())
            if lived >= self.stable_after:
                self._backoff = self.initial_backoff
            delay = self._backoff
            with self._lock:
                self.last_exit_code = code
                self.state = "restarting"
                self._write()
            self._say(
                f"custos: the embedded job worker (pid {process.pid}) exited with code {code}; "
                f"restarting it in {delay:g} s (restart {self.restarts + 1})"
            )
            if self._stopping.wait(delay):
                return
            self._backoff = min(self._backoff * 2, self.max_backoff)
            with self._lock:
                self.restarts += 1
                self.last_restart_at = time.time()
            try:
                self._spawn()
            except OSError as exc:  # e.g. no more processes: try again after the next back-off
                with self._lock:
                    self.process = None
                self._say(f"custos: could not restart the embedded job worker: {exc}")
                continue
            restarted = self.process
            assert restarted is not None  # set by _spawn (or, when stopping, still the exited one)
            self._say(f"custos: embedded job worker restarted (pid {restarted.pid})", warning=False)

    # --- shared state ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "supervisor_pid": os.getpid(),
            "pid": self.process.pid if self.process is not None else None,
            "state": self.state,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit_code,
            "last_restart_at": self.last_restart_at,
        }

    def _write(self) -> None:
        try:
            self.status_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.status_file.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.snapshot()))
            os.replace(temporary, self.status_file)
        except OSError:
            logger.warning("could not write the worker status file %s", self.status_file, exc_info=True)
