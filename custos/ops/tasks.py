"""Operational tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="custos.ops.ping")
def ping() -> str:
    """A no-op job: proves a worker takes work from the queue (used by checks and tests)."""
    return "pong"
