"""``is_us_person`` and ``security_clearance_level`` leave the account: each organization attests them on
its memberships (``orgs.0003`` copied the values there first)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_purge_schedule"),
        ("orgs", "0003_invitations_attestation"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="is_us_person"),
        migrations.RemoveField(model_name="user", name="security_clearance_level"),
    ]
