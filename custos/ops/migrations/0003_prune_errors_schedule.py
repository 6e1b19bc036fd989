"""Prune recorded server errors daily (django-celery-beat's database scheduler)."""

from django.db import migrations

TASK_NAME = "custos.ops.prune_error_events"


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=1, period="days")
    task_model.objects.get_or_create(
        name="Prune recorded server errors",
        defaults={"task": TASK_NAME, "interval": interval, "enabled": True},
    )


def drop(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_error_events"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create, drop)]
