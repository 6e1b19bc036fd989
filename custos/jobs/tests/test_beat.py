"""Periodic work: a schedule created at run time is picked up and run by beat's DatabaseScheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from custos.audit.models import AuditLog
from custos.events import tasks as event_tasks  # noqa: F401 - registers the task with the app
from custos.events.models import EventRelay
from custos.jobs.services import schedule_upsert
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

pytestmark = pytest.mark.django_db


# Beat calls close_old_connections(), which drops a connection left inside a transaction: this test
# runs with real commits, as beat does.
@pytest.mark.django_db(transaction=True)
def test_a_runtime_schedule_is_picked_up_and_run_by_beat(run_jobs_inline, staff):
    old = EventRelay.objects.create(topic="alerts", event="alert_update", payload={})
    EventRelay.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = EventRelay.objects.create(topic="alerts", event="alert_update", payload={})

    task = schedule_upsert(
        WriteContext.for_user(staff), name="prune relay", task_name="custos.events.prune_relay", every_seconds=60
    )
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now() - timedelta(minutes=2))
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.actor_id, row.resource_name) == (
        "CREATE",
        "PeriodicTask",
        str(staff.pk),
        "prune relay",
    )

    scheduler = DatabaseScheduler(app=run_jobs_inline)
    assert "prune relay" in scheduler.schedule
    assert scheduler.schedule["prune relay"].is_due().is_due
    scheduler.tick()
    scheduler.sync()

    assert list(EventRelay.objects.values_list("pk", flat=True)) == [fresh.pk], "the scheduled task ran"
    task.refresh_from_db()
    assert task.total_run_count == 1
    assert task.last_run_at > timezone.now() - timedelta(minutes=1)


def test_schedule_needs_exactly_one_kind(staff):
    with pytest.raises(ValidationFailed):
        schedule_upsert(WriteContext.for_user(staff), name="x", task_name="custos.ops.ping")
    with pytest.raises(ValidationFailed):
        schedule_upsert(WriteContext.for_user(staff), name="x", task_name="custos.ops.ping", crontab={"second": "1"})
    assert not PeriodicTask.objects.filter(name="x").exists()
    assert not AuditLog.objects.exists()
