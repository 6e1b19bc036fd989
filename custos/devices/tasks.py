"""Periodic tasks of the device domain."""

from __future__ import annotations

from celery import shared_task

from custos.devices import rules, services

NO_DATA_TASK = "devices.evaluate_no_data_rules"


@shared_task(name=NO_DATA_TASK)
def evaluate_no_data_rules() -> dict[str, int]:
    """Raise (or clear) the alarms of the no-data rules of every organization; then forget the
    Idempotency-Key answers past their replay window (an indexed delete, nothing to do most minutes)."""
    counts = rules.evaluate_no_data()
    counts["replays_pruned"] = services.ingest_replays_prune()
    return counts


@shared_task(name="devices.prune_readings")
def prune_readings() -> int:
    """Beat entry ``prune-readings``: readings past their retention (``DEVICES_READINGS_RETENTION_DAYS``)."""
    return services.readings_prune()
