"""Real availability checks of the services Custos depends on."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    latency_ms: float

    @property
    def label(self) -> str:
        return "ok" if self.ok else f"error: {self.detail}"


def _timed(check) -> CheckResult:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # a failing dependency is a result here, not a crash
        detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
    return CheckResult(ok, detail, round((time.perf_counter() - started) * 1000, 2))


def check_database() -> CheckResult:
    def run() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return connection.vendor

    return _timed(run)


def check_cache() -> CheckResult:
    def run() -> str:
        key = f"custos:health:{uuid.uuid4().hex}"
        cache.set(key, "1", timeout=10)
        value = cache.get(key)
        cache.delete(key)
        if value != "1":
            raise RuntimeError("value written to the cache was not read back")
        return "redis" if settings.REDIS_URL else "file"

    return _timed(run)


def check_queue() -> CheckResult:
    def run() -> str:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type

    return _timed(run)


CHECKS = {"database": check_database, "cache": check_cache, "queue": check_queue}


def run_checks() -> dict[str, CheckResult]:
    results = {name: check() for name, check in CHECKS.items()}
    worker = check_worker()
    if worker is not None:
        results["worker"] = worker
    return results


def worker_status() -> dict[str, Any] | None:
    """The embedded worker's state as ``custos serve`` supervises it, or ``None`` when no running
    ``serve`` supervises one (an external worker, the scaled mode, a test)."""
    from custos.ops.supervisor import read_status, supervisor_alive

    status = read_status()
    if status is None or not supervisor_alive(status):
        return None
    return {
        "state": str(status.get("state", "")),
        "pid": status.get("pid"),
        "restarts": int(status.get("restarts") or 0),
        "last_exit_code": status.get("last_exit_code"),
    }


def check_worker() -> CheckResult | None:
    """The supervised embedded worker: ok while it runs; an error while it is being restarted."""
    started = time.perf_counter()
    status = worker_status()
    if status is None:
        return None
    restarts = status["restarts"]
    if status["state"] == "running":
        result = CheckResult(True, f"running (pid {status['pid']}, {restarts} restarts)", 0.0)
    else:
        result = CheckResult(
            False, f"restarting after exit code {status['last_exit_code']} ({restarts} restarts so far)", 0.0
        )
    return CheckResult(result.ok, result.detail, round((time.perf_counter() - started) * 1000, 2))


def check_audit() -> CheckResult:
    """The audit chain: the rows appended since the last verified one (cheap), and the last full walk."""

    def run() -> str:
        from django.db import DatabaseError

        from custos.audit.models import AuditLog
        from custos.audit.services import audit_verify_recent

        try:
            report = audit_verify_recent()
        except DatabaseError:
            if AuditLog._meta.db_table not in connection.introspection.table_names():
                return "no audit table yet (not migrated): nothing to verify"
            raise
        if not report.ok:
            raise RuntimeError(f"audit chain broken at row {report.broken_at}: {report.reason}")
        return f"{report.checked} new rows verified"

    return _timed(run)


# First, so the dependency probes (database, cache, queue) stay the last lines of `custos check`.
CHECKS = {"audit": check_audit, **CHECKS}
# The checks that probe a service Custos depends on (their latency is reported); the others check data.
DEPENDENCY_CHECKS = ("database", "cache", "queue")
