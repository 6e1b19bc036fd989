"""Schedule the full walk of the audit chain every hour (django-celery-beat's database scheduler)."""

from django.db import migrations

TASK_NAME = "custos.audit.verify_chain"


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = interval_model.objects.get_or_create(every=1, period="hours")
    task_model.objects.get_or_create(
        name="Verify the audit chain",
        defaults={"task": TASK_NAME, "interval": interval, "enabled": True},
    )


def drop(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create, drop)]
