"""The pipeline document's periodic tasks (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (
    ("Fetch satellite imagery for active pipelines", "pipelines.fetch_satellite_imagery_periodic", 1, "hours"),
    ("Analyse pending satellite images", "pipelines.analyze_images_periodic", 6, "hours"),
    ("Detect anomalies across pipelines", "pipelines.detect_anomalies_periodic", 1, "days"),
    ("Clean up old pipeline data", "pipelines.cleanup_old_data", 7, "days"),
    ("Send notifications for unresolved alerts", "pipelines.send_alert_notifications", 4, "hours"),
    ("Generate the daily monitoring report", "pipelines.generate_daily_report", 1, "days"),
    ("Update pipeline health scores", "pipelines.update_pipeline_health_scores", 1, "days"),
)


class Migration(migrations.Migration):
    dependencies = [("pipelines", "0002_sources_and_health"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
