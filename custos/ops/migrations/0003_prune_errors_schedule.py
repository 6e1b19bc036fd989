"""Prune recorded server errors daily (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Prune recorded server errors", "custos.ops.prune_error_events", 1, "days"),)


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_error_events"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
