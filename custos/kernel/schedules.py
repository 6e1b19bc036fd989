"""Periodic tasks shipped with the code, written into django-celery-beat's database schedule by migrations
(so operators can change their intervals at run time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations

# (name shown to operators, task name, every, period) — period is one of django-celery-beat's:
# "days", "hours", "minutes", "seconds", "microseconds".
Entry = tuple[str, str, int, str]

BEAT_DEPENDENCY = ("django_celery_beat", "0019_alter_periodictasks_options")


def schedule_operation(entries: Sequence[Entry]) -> migrations.RunPython:
    """A reversible migration operation that creates (or leaves as they are) the given periodic tasks."""

    def create(apps: Any, schema_editor: Any) -> None:
        interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
        for name, task, every, period in entries:
            interval, _ = interval_model.objects.get_or_create(every=every, period=period)
            task_model.objects.get_or_create(name=name, defaults={"task": task, "interval": interval, "enabled": True})

    def drop(apps: Any, schema_editor: Any) -> None:
        tasks = [task for _name, task, _every, _period in entries]
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__in=tasks).delete()

    return migrations.RunPython(create, drop)
