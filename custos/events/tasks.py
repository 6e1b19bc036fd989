"""Periodic upkeep of the event relay."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from custos.events.models import EventRelay
from custos.events.relay import KEEP


@shared_task(name="custos.events.prune_relay")
def prune_relay() -> int:
    """Delete relayed events older than the relay keeps them (servers prune too; this covers idle ones)."""
    deleted, _ = EventRelay.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted
