"""Operational tasks."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="custos.ops.ping")
def ping() -> str:
    """A no-op job: proves a worker takes work from the queue (used by checks and tests)."""
    return "pong"


@shared_task(name="custos.ops.prune_error_events")
def prune_error_events() -> int:
    """Remove recorded server errors older than the settings' ``log_retention_days``; returns how many."""
    from datetime import timedelta

    from django.utils import timezone

    from custos.ops.models import ErrorEvent, SystemSettings

    cutoff = timezone.now() - timedelta(days=SystemSettings.load().log_retention_days)
    deleted, _ = ErrorEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
