"""Periodic verification of the whole audit chain."""

from __future__ import annotations

from celery import shared_task

from custos.audit.services import audit_verify_and_remember


@shared_task(name="custos.audit.verify_chain")
def verify_chain() -> dict:
    """Walk the whole chain; a failure is then reported by ``/api/health/detailed/``."""
    report = audit_verify_and_remember()
    return {"ok": report.ok, "checked": report.checked, "broken_at": report.broken_at, "reason": report.reason}
