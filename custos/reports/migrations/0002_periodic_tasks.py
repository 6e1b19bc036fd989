"""The beat task that starts due report schedules (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Start due scheduled reports", "custos.reports.run_due_schedules", 1, "minutes"),)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
