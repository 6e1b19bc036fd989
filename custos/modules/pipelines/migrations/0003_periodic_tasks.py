"""The pipeline document's periodic tasks, in django-celery-beat's database schedule (editable at run time)."""

from django.db import migrations

SCHEDULE = (
    ("Fetch satellite imagery for active pipelines", "pipelines.fetch_satellite_imagery_periodic", 1, "hours"),
    ("Analyse pending satellite images", "pipelines.analyze_images_periodic", 6, "hours"),
    ("Detect anomalies across pipelines", "pipelines.detect_anomalies_periodic", 1, "days"),
    ("Clean up old pipeline data", "pipelines.cleanup_old_data", 7, "days"),
    ("Send notifications for unresolved alerts", "pipelines.send_alert_notifications", 4, "hours"),
    ("Generate the daily monitoring report", "pipelines.generate_daily_report", 1, "days"),
    ("Update pipeline health scores", "pipelines.update_pipeline_health_scores", 1, "days"),
)


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in SCHEDULE:
        interval, _ = interval_model.objects.get_or_create(every=every, period=period)
        task_model.objects.get_or_create(name=name, defaults={"task": task, "interval": interval, "enabled": True})


def drop(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        task__in=[task for _name, task, _every, _period in SCHEDULE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0002_sources_and_health"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create, drop)]
