"""Schedule the full walk of the audit chain every hour (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Verify the audit chain", "custos.audit.verify_chain", 1, "hours"),)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
