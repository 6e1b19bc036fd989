"""The fault script, short: a mixed workload while the server and the job worker are killed with SIGKILL;
every acknowledged write must be stored and every job must finish (``bench/faults.py``)."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from tests.test_config import ROOT

BENCH = re.compile(r"^BENCH (\S+) (-?[\d.]+)", re.M)
ROW = re.compile(r"^(pipeline|bug|alert_ack|design|report|readings|sqal_sample)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", re.M)


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _run(*options: str) -> tuple[subprocess.CompletedProcess, dict[str, float], dict[str, tuple[int, ...]]]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/faults.py", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    figures = {name: float(value) for name, value in BENCH.findall(done.stdout)}
    rows = {m.group(1): tuple(int(g) for g in m.groups()[1:]) for m in ROW.finditer(done.stdout)}
    return done, figures, rows


def _check(mode: str, done: subprocess.CompletedProcess, figures: dict, rows: dict) -> None:
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    assert figures[f"faults_{mode}_kills"] == 2
    assert figures[f"faults_{mode}_lost_writes"] == 0, done.stdout
    assert figures[f"faults_{mode}_stuck_jobs"] == 0, done.stdout
    assert figures[f"faults_{mode}_jobs"] >= 1, done.stdout
    for kind in ("pipeline", "bug", "alert_ack", "design", "readings", "sqal_sample"):
        attempts, acked, stored, lost = rows[kind]
        assert acked >= 1, f"no {kind} was acknowledged:\n{done.stdout}"
        assert (stored, lost) == (acked, 0)
        assert attempts >= acked


@pytest.mark.slow
def test_embedded_mode_loses_no_acknowledged_write_and_no_job():
    # As in scaled mode (below): a job whose server was killed between its commit and its hand-off to the
    # queue is re-queued by the embedded worker's scheduler up to two minutes after the kill (CI saw one
    # still PENDING after 60 s).
    done, figures, rows = _run(
        "--mode", "embedded", "--duration", "16", "--kills", "2", "--clients", "2", "--job-timeout", "180"
    )
    _check("embedded", done, figures, rows)


@pytest.mark.slow
@pytest.mark.skipif(
    not all(_reachable(port) for port in (5432, 6379, 5672)), reason="needs PostgreSQL, Redis and RabbitMQ"
)
def test_scaled_mode_loses_no_acknowledged_write_and_no_job():
    done, figures, rows = _run(
        "--mode",
        "scaled",
        "--database",
        "postgres://postgres@127.0.0.1:5432/custos_faults_test",
        "--duration",
        "16",
        "--kills",
        "2",
        "--clients",
        "2",
        # A server killed between a job's commit and its hand-off to RabbitMQ strands the job; the worker's
        # scheduler re-queues it once it is UNQUEUED_GRACE_SECONDS (60) old, on its next one-minute tick: up
        # to two minutes after the kill (CI saw such a job still PENDING after 60 s, with no scheduler).
        "--job-timeout",
        "180",
    )
    _check("scaled", done, figures, rows)
