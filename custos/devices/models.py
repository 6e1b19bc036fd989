"""Devices of an organization, their credentials and their readings.

``Reading`` is the one hot table: a narrow row (bigint key, no UUID, no creation/update times) with a
single secondary index ``(device, metric, timestamp)`` that serves every time-series query, so a batch
insert costs one B-tree insert per row beyond the table itself.
"""

from __future__ import annotations

from django.db import models

from custos.devices.choices import DEFAULT_METRIC, DeviceStatus
from custos.kernel.models import OrgOwnedModel


class Device(OrgOwnedModel):
    device_id = models.CharField(max_length=64)  # the organization's own key, e.g. DEVICE_001
    device_type = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    unit = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.OFFLINE)
    health_score = models.FloatField(null=True, blank=True)  # computed by the analytics
    efficiency_score = models.FloatField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta(OrgOwnedModel.Meta):
        ordering = ("device_id",)
        constraints = [
            models.UniqueConstraint(fields=("organization", "device_id"), name="uniq_device_id_per_org"),
        ]

    def __str__(self) -> str:
        return self.device_id


class DeviceCredential(OrgOwnedModel):
    """The device's token, stored as its SHA-256 (the token itself is shown once). One per device:
    issuing again replaces the hash, so the previous token stops working at once."""

    device = models.OneToOneField(Device, on_delete=models.CASCADE, related_name="credential")
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    issued_at = models.DateTimeField()
    rotations = models.PositiveIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    audit_entity = "DeviceCredential"

    def __str__(self) -> str:
        return f"{self.device_id} ({self.prefix}…)"


class Reading(models.Model):
    id = models.BigAutoField(primary_key=True)
    # Both foreign keys go without their own index: (device, metric, timestamp) covers the device, and
    # readings are always reached through a device.
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings", db_index=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", db_index=False)
    timestamp = models.DateTimeField()
    metric = models.CharField(max_length=64, default=DEFAULT_METRIC)
    value = models.FloatField()

    class Meta:
        # PostgreSQL only: BRIN reading_ts_brin on timestamp (migration 0006), windows across devices.
        indexes = [models.Index(fields=("device", "metric", "timestamp"), name="reading_device_metric_ts")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.metric}@{self.timestamp:%Y-%m-%dT%H:%M:%S}={self.value}"


class IngestReplay(models.Model):
    """The first answer to an ingestion carrying an ``Idempotency-Key``, per organization.

    The row is inserted in the same transaction as the readings, before them: a concurrent duplicate
    waits on the unique constraint, then finds the committed row and replays it (or, if the first
    transaction rolled back, goes ahead itself)."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the route and the parsed rows
    status_code = models.PositiveSmallIntegerField(default=201)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("organization", "key"), name="uniq_ingest_key_per_org"),
        ]

    def __str__(self) -> str:
        return self.key


class DeviceEventType(models.TextChoices):
    FAILURE = "failure", "Failure"
    MAINTENANCE = "maintenance", "Maintenance"
    REPAIR = "repair", "Repair"


class DeviceEvent(OrgOwnedModel):
    """Something that happened to a device, recorded by a person (``POST /api/devices/{id}/events``):
    the labels the failure prediction learns from, and the maintenance history of the health score."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    timestamp = models.DateTimeField()
    event_type = models.CharField(max_length=16, choices=DeviceEventType.choices)
    notes = models.TextField(blank=True)

    audit_entity = "DeviceEvent"
    event_topic = "device_event"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("device", "timestamp")
        indexes = [models.Index(fields=("organization", "event_type", "timestamp"), name="device_event_org_type_ts")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.event_type}@{self.timestamp:%Y-%m-%dT%H:%M:%S}"


class RuleOperator(models.TextChoices):
    GT = ">", "greater than"
    GE = ">=", "at least"
    LT = "<", "less than"
    LE = "<=", "at most"
    EQ = "==", "equal to"
    NE = "!=", "not equal to"


class RuleSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertRule(OrgOwnedModel):
    """An alarm rule of an organization, evaluated on every ingested batch (``custos.devices.rules``).

    A threshold rule holds when ``reading <operator> threshold`` for ``duration_seconds`` (measured on
    the readings' timestamps); a no-data rule (``no_data_minutes`` set) holds when a device sent nothing
    for that long. The rule applies to ``device`` when set, else to devices of ``device_type`` when set,
    else to every device of the organization."""

    name = models.CharField(max_length=64)
    metric = models.CharField(max_length=64, default=DEFAULT_METRIC)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules")
    device_type = models.CharField(max_length=64, blank=True)
    operator = models.CharField(max_length=2, choices=RuleOperator.choices, default=RuleOperator.GT)
    threshold = models.FloatField(null=True, blank=True)  # null only for a no-data rule
    severity = models.CharField(max_length=10, choices=RuleSeverity.choices, default=RuleSeverity.WARNING)
    duration_seconds = models.PositiveIntegerField(default=0)
    no_data_minutes = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)

    audit_entity = "AlertRule"
    event_topic = "alert_rule"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("name",)
        constraints = [models.UniqueConstraint(fields=("organization", "name"), name="uniq_alert_rule_name_per_org")]

    def __str__(self) -> str:
        return self.name


class AlertRuleState(models.Model):
    """Where a rule stands for one device: since when its condition holds (the current breach), the last
    reading evaluated, and the alarm of the current breach (one per breach; cleared with it)."""

    id = models.BigAutoField(primary_key=True)
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="states")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    breach_since = models.DateTimeField(null=True, blank=True)
    last_timestamp = models.DateTimeField(null=True, blank=True)
    alert = models.ForeignKey("alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=("rule", "device"), name="uniq_alert_rule_state")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.device_id}"


# --- Firmware and OTA campaigns (sqal document; custos.devices.firmware) ----------------------------


def firmware_upload_to(instance: FirmwareVersion, filename: str) -> str:
    """``firmware/<organization>/<row id>.bin``: the stored name never carries the client's file name."""
    return f"firmware/{instance.organization_id}/{instance.pk}.bin"


class FirmwareVersion(OrgOwnedModel):
    """A firmware image of an organization: its semantic version (unique per organization), the file
    (Django's default storage) with its SHA-256 and size, served to devices by their token."""

    version = models.CharField(max_length=64)
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    patch = models.PositiveIntegerField()
    prerelease = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Always set by the upload service; blank only so generic test builders may leave it out.
    file = models.FileField(upload_to=firmware_upload_to, max_length=255, blank=True)
    file_name = models.CharField(max_length=255)  # as uploaded, shown only
    file_size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    audit_entity = "FirmwareVersion"
    event_topic = "firmware_version"

    class Meta(OrgOwnedModel.Meta):
        # Newest first by major.minor.patch; a release before its pre-releases; then the newest upload.
        ordering = ("-major", "-minor", "-patch", "prerelease", "-created_at")
        constraints = [
            models.UniqueConstraint(fields=("organization", "version"), name="uniq_firmware_version_per_org"),
        ]

    def __str__(self) -> str:
        return self.version


class RolloutStrategy(models.TextChoices):
    ALL_AT_ONCE = "all_at_once", "All at once"
    GRADUAL = "gradual", "Gradual (waves)"
    SCHEDULED = "scheduled", "Scheduled"


class OtaStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    HALTED = "halted", "Halted"
    CANCELLED = "cancelled", "Cancelled"


class OtaLogStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DOWNLOADING = "downloading", "Downloading"
    INSTALLING = "installing", "Installing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class OtaUpdate(OrgOwnedModel):
    """An OTA campaign: one firmware version to a set of devices (named, or every device of a type at
    creation), in waves (``wave_size`` devices each, ``current_wave`` offered so far). Halted when a
    started wave's failure rate passes ``failure_threshold_percent`` after enough attempts."""

    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    firmware = models.ForeignKey(FirmwareVersion, null=True, on_delete=models.SET_NULL, related_name="campaigns")
    firmware_version = models.CharField(max_length=64)  # kept when the version row is deleted
    target_device_type = models.CharField(max_length=64, blank=True)
    target_device_ids = models.JSONField(default=list, blank=True)  # as requested (device keys)
    rollout_strategy = models.CharField(
        max_length=16, choices=RolloutStrategy.choices, default=RolloutStrategy.ALL_AT_ONCE
    )
    rollout_percentage = models.PositiveSmallIntegerField(default=100)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    failure_threshold_percent = models.FloatField()
    halt_min_attempts = models.PositiveIntegerField()
    wave_interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=OtaStatus.choices, default=OtaStatus.SCHEDULED)
    total_devices = models.PositiveIntegerField(default=0)
    wave_size = models.PositiveIntegerField(default=0)
    wave_count = models.PositiveIntegerField(default=0)
    current_wave = models.PositiveIntegerField(default=0)  # 0: not started
    wave_started_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # completed, halted or cancelled
    halt_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey("identity.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    audit_entity = "OtaUpdate"
    event_topic = "ota_update"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("status", "scheduled_at"), name="ota_update_status_sched")]

    def __str__(self) -> str:
        return self.name or f"OTA {self.firmware_version}"


class OtaUpdateLog(OrgOwnedModel):
    """One device's part of a campaign: its wave and where its update stands (pending → downloading →
    installing → completed / failed; cancelled when the campaign stopped before it began)."""

    update = models.ForeignKey(OtaUpdate, on_delete=models.CASCADE, related_name="logs")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="ota_logs")
    wave = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=OtaLogStatus.choices, default=OtaLogStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, as the device reports it
    previous_version = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    audit_entity = "OtaUpdateLog"
    event_topic = "ota_update"

    class Meta(OrgOwnedModel.Meta):
        ordering = ("update", "wave", "device")
        constraints = [models.UniqueConstraint(fields=("update", "device"), name="uniq_ota_log_per_device")]
        indexes = [
            models.Index(fields=("update", "wave", "status"), name="ota_log_update_wave_status"),
            models.Index(fields=("device", "status"), name="ota_log_device_status"),
        ]

    def __str__(self) -> str:
        return f"{self.update_id}/{self.device_id}"
