"""Firmware versions, OTA campaigns and their per-device logs; the periodic task that starts scheduled
campaigns and advances gradual ones (``devices.ota_tick``, django-celery-beat's database schedule)."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import custos.devices.models
from custos.kernel.schedules import BEAT_DEPENDENCY, schedule_operation

SCHEDULE = (("Start scheduled and advance gradual OTA campaigns", "devices.ota_tick", 1, "minutes"),)


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0004_default_alert_rules"),
        ("orgs", "0003_invitations_attestation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        BEAT_DEPENDENCY,
    ]

    operations = [
        migrations.CreateModel(
            name="FirmwareVersion",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.CharField(max_length=64)),
                ("major", models.PositiveIntegerField()),
                ("minor", models.PositiveIntegerField()),
                ("patch", models.PositiveIntegerField()),
                ("prerelease", models.CharField(blank=True, max_length=64)),
                ("name", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                (
                    "file",
                    models.FileField(blank=True, max_length=255, upload_to=custos.devices.models.firmware_upload_to),
                ),
                ("file_name", models.CharField(max_length=255)),
                ("file_size", models.PositiveBigIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization"
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ("-major", "-minor", "-patch", "prerelease", "-created_at"),
                "get_latest_by": "created_at",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="OtaUpdate",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("name", models.CharField(blank=True, max_length=200)),
                ("description", models.TextField(blank=True)),
                ("firmware_version", models.CharField(max_length=64)),
                ("target_device_type", models.CharField(blank=True, max_length=64)),
                ("target_device_ids", models.JSONField(blank=True, default=list)),
                (
                    "rollout_strategy",
                    models.CharField(
                        choices=[
                            ("all_at_once", "All at once"),
                            ("gradual", "Gradual (waves)"),
                            ("scheduled", "Scheduled"),
                        ],
                        default="all_at_once",
                        max_length=16,
                    ),
                ),
                ("rollout_percentage", models.PositiveSmallIntegerField(default=100)),
                ("scheduled_at", models.DateTimeField(blank=True, null=True)),
                ("failure_threshold_percent", models.FloatField()),
                ("halt_min_attempts", models.PositiveIntegerField()),
                ("wave_interval_minutes", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("in_progress", "In progress"),
                            ("completed", "Completed"),
                            ("halted", "Halted"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="scheduled",
                        max_length=16,
                    ),
                ),
                ("total_devices", models.PositiveIntegerField(default=0)),
                ("wave_size", models.PositiveIntegerField(default=0)),
                ("wave_count", models.PositiveIntegerField(default=0)),
                ("current_wave", models.PositiveIntegerField(default=0)),
                ("wave_started_at", models.DateTimeField(blank=True, null=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("halt_reason", models.CharField(blank=True, max_length=500)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "firmware",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="campaigns",
                        to="devices.firmwareversion",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization"
                    ),
                ),
            ],
            options={
                "ordering": ("-created_at",),
                "get_latest_by": "created_at",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="OtaUpdateLog",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("wave", models.PositiveIntegerField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("downloading", "Downloading"),
                            ("installing", "Installing"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("progress", models.PositiveSmallIntegerField(default=0)),
                ("previous_version", models.CharField(blank=True, max_length=100)),
                ("error_message", models.CharField(blank=True, max_length=1000)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "device",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="ota_logs", to="devices.device"
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.organization"
                    ),
                ),
                (
                    "update",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="logs", to="devices.otaupdate"
                    ),
                ),
            ],
            options={
                "ordering": ("update", "wave", "device"),
                "get_latest_by": "created_at",
                "abstract": False,
            },
        ),
        migrations.AddConstraint(
            model_name="firmwareversion",
            constraint=models.UniqueConstraint(
                fields=("organization", "version"), name="uniq_firmware_version_per_org"
            ),
        ),
        migrations.AddIndex(
            model_name="otaupdate",
            index=models.Index(fields=["status", "scheduled_at"], name="ota_update_status_sched"),
        ),
        migrations.AddIndex(
            model_name="otaupdatelog",
            index=models.Index(fields=["update", "wave", "status"], name="ota_log_update_wave_status"),
        ),
        migrations.AddIndex(
            model_name="otaupdatelog",
            index=models.Index(fields=["device", "status"], name="ota_log_device_status"),
        ),
        migrations.AddConstraint(
            model_name="otaupdatelog",
            constraint=models.UniqueConstraint(fields=("update", "device"), name="uniq_ota_log_per_device"),
        ),
        schedule_operation(SCHEDULE),
    ]
