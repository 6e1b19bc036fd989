"""Invitations, and the export-control attestation per membership.

The data step copies each user's global ``is_us_person`` / ``security_clearance_level`` (still on the
user until ``identity.0004``) onto every one of their memberships, so nobody's access changes on the day
of the migration; from then on each organization attests its own members. ``attested_at`` is the
migration time and ``attested_by`` null (the platform).
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def copy_global_clearance(apps, schema_editor):
    from django.utils import timezone

    Membership = apps.get_model("orgs", "Membership")
    now = timezone.now()
    rows = Membership.objects.select_related("user").filter(
        models.Q(user__is_us_person=True) | ~models.Q(user__security_clearance_level="UNCLASSIFIED")
    )
    for membership in rows.iterator():
        membership.is_us_person = membership.user.is_us_person
        membership.security_clearance_level = membership.user.security_clearance_level
        membership.attested_at = now
        membership.save(update_fields=["is_us_person", "security_clearance_level", "attested_at"])


def copy_back(apps, schema_editor):
    """Reverse: the user's global values become the highest of their memberships' (conservative: the
    reverse is for rolling back a deployment, not for keeping per-organization differences)."""
    Membership = apps.get_model("orgs", "Membership")
    order = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"]
    best: dict = {}
    for membership in Membership.objects.select_related("user").iterator():
        user = membership.user
        us, level = best.get(user.pk, (False, "UNCLASSIFIED"))
        if order.index(membership.security_clearance_level) > order.index(level):
            level = membership.security_clearance_level
        best[user.pk] = (us or membership.is_us_person, level)
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    for pk, (us, level) in best.items():
        User.objects.filter(pk=pk).update(is_us_person=us, security_clearance_level=level)


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0002_storage_used'),
        ('identity', '0003_purge_schedule'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='attested_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='membership',
            name='attested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='membership',
            name='is_us_person',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='membership',
            name='security_clearance_level',
            field=models.CharField(choices=[('UNCLASSIFIED', 'Unclassified'), ('CONFIDENTIAL', 'Confidential'), ('SECRET', 'Secret'), ('TOP_SECRET', 'Top secret')], default='UNCLASSIFIED', max_length=20),
        ),
        migrations.CreateModel(
            name='Invitation',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('role', models.CharField(choices=[('OWNER', 'Owner'), ('ADMIN', 'Admin'), ('MEMBER', 'Member'), ('VIEWER', 'Viewer')], default='MEMBER', max_length=10)),
                ('invited_email', models.EmailField(blank=True, max_length=254)),
                ('invited_user_id', models.UUIDField(blank=True, null=True)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('expires_at', models.DateTimeField()),
                ('accepted_at', models.DateTimeField(blank=True, null=True)),
                ('declined_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('invited_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('invitee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='orgs.organization')),
            ],
            options={
                'ordering': ('created_at',),
                'get_latest_by': 'created_at',
                'abstract': False,
                'indexes': [models.Index(fields=['organization', 'accepted_at', 'declined_at', 'revoked_at'], name='orgs_invita_organiz_761fb4_idx')],
            },
        ),
        migrations.RunPython(copy_global_clearance, copy_back),
]
