"""Schedule the daily purge of expired credentials (django-celery-beat's database schedule)."""

from django.db import migrations

from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Purge expired credentials", "custos.identity.purge_expired_credentials", 1, "days"),)


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_credentials"), BEAT_DEPENDENCY]
    operations = [schedule_operation(SCHEDULE)]
