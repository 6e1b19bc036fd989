"""The twin analytics' periodic tasks (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (
    ("Retrain the twin anomaly and failure models", "twin.retrain_models_periodic", 1, "days"),
    ("Update twin device health scores", "twin.update_health_scores", 1, "hours"),
)


class Migration(migrations.Migration):
    dependencies = [("twin", "0001_initial"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
