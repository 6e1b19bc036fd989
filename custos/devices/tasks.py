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
