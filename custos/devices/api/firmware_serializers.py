"""sqal shapes of firmware versions, OTA campaigns and the admin device registry (keys are camelCased by
the sqal renderer; input accepts camelCase and snake_case)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.devices.choices import DEVICE_TYPE_PATTERN
from custos.devices.firmware import (
    MAX_DESCRIPTION,
    MAX_TARGET_DEVICES,
    SEMVER_MESSAGE,
    download_path,
    parse_semver,
)
from custos.devices.models import Device, FirmwareVersion, OtaLogStatus, OtaUpdate, OtaUpdateLog, RolloutStrategy

LOGS_SHOWN = 1000
DEVICE_TYPE_MESSAGE = "Lower-case letters, digits, '_' or '-' (at most 64)."


# --- Firmware versions ----------------------------------------------------------------------------


class FirmwareVersionSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    uploaded_by = serializers.UUIDField(source="uploaded_by_id", allow_null=True, read_only=True)

    class Meta:
        model = FirmwareVersion
        fields = (
            "id",
            "version",
            "name",
            "description",
            "file_name",
            "file_size",
            "sha256",
            "download_url",
            "uploaded_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, obj: FirmwareVersion) -> str:
        return download_path(obj)


class FirmwareUploadSerializer(serializers.Serializer):
    """``multipart/form-data``: the image and its version; ``sha256`` (optional) is checked against it."""

    version = serializers.CharField(max_length=64, help_text=SEMVER_MESSAGE)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_DESCRIPTION, required=False, allow_blank=True)
    file = serializers.FileField(allow_empty_file=False, help_text="The firmware image (size limit: FIRMWARE_MAX_MB).")
    sha256 = serializers.RegexField(r"^[0-9A-Fa-f]{64}$", required=False, allow_blank=True)

    def validate_version(self, value: str) -> str:
        if parse_semver(value) is None:
            raise serializers.ValidationError(SEMVER_MESSAGE)
        return value


# --- OTA campaigns --------------------------------------------------------------------------------


class OtaStatsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    downloading = serializers.IntegerField()
    installing = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class OtaUpdateSerializer(serializers.ModelSerializer):
    """A campaign with its devices per log status (``stats``) and its progress in percent (finished
    updates over devices)."""

    firmware_version_id = serializers.UUIDField(source="firmware_id", allow_null=True, read_only=True)
    target_devices = serializers.ListField(child=serializers.CharField(), source="target_device_ids", read_only=True)
    stats = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)
    rollout_strategy = serializers.CharField(read_only=True)

    class Meta:
        model = OtaUpdate
        fields: tuple[str, ...] = (
            "id",
            "name",
            "description",
            "firmware_version_id",
            "firmware_version",
            "target_device_type",
            "target_devices",
            "rollout_strategy",
            "rollout_percentage",
            "scheduled_at",
            "failure_threshold_percent",
            "halt_min_attempts",
            "wave_interval_minutes",
            "status",
            "total_devices",
            "wave_size",
            "wave_count",
            "current_wave",
            "wave_started_at",
            "started_at",
            "finished_at",
            "halt_reason",
            "stats",
            "progress",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(OtaStatsSerializer)
    def get_stats(self, obj: OtaUpdate) -> dict[str, int]:
        return {status: int(getattr(obj, f"n_{status}", 0) or 0) for status in OtaLogStatus.values}

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_progress(self, obj: OtaUpdate) -> float:
        stats = self.get_stats(obj)
        done = stats["completed"] + stats["failed"] + stats["cancelled"]
        return round(100.0 * done / obj.total_devices, 1) if obj.total_devices else 0.0


class OtaUpdateLogSerializer(serializers.ModelSerializer):
    device_id = serializers.CharField(source="device.device_id", read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = OtaUpdateLog
        fields = (
            "id",
            "device_id",
            "wave",
            "status",
            "progress",
            "previous_version",
            "error_message",
            "started_at",
            "finished_at",
            "updated_at",
        )
        read_only_fields = fields


class OtaUpdateDetailSerializer(OtaUpdateSerializer):
    """The campaign and its per-device logs (wave, then device order; the first 1000)."""

    logs = serializers.SerializerMethodField()

    class Meta(OtaUpdateSerializer.Meta):
        fields = (*OtaUpdateSerializer.Meta.fields, "logs")
        read_only_fields = fields

    @extend_schema_field(OtaUpdateLogSerializer(many=True))
    def get_logs(self, obj: OtaUpdate) -> list[Any]:
        logs = obj.logs.select_related("device").order_by("wave", "device__device_id")[:LOGS_SHOWN]
        return list(OtaUpdateLogSerializer(logs, many=True).data)


class OtaCreateSerializer(serializers.Serializer):
    """A campaign: a version to named devices (``target_devices``) or to a device type
    (``target_device_type``); ``device_ids`` / ``device_type`` are accepted as their aliases."""

    firmware_version_id = serializers.UUIDField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=MAX_DESCRIPTION, required=False, allow_blank=True)
    target_devices = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_TARGET_DEVICES
    )
    target_device_type = serializers.RegexField(
        DEVICE_TYPE_PATTERN, max_length=64, required=False, error_messages={"invalid": DEVICE_TYPE_MESSAGE}
    )
    rollout_strategy = serializers.ChoiceField(choices=RolloutStrategy.choices, default=RolloutStrategy.ALL_AT_ONCE)
    rollout_percentage = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    failure_threshold_percent = serializers.FloatField(min_value=0, max_value=100, required=False)
    halt_min_attempts = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    wave_interval_minutes = serializers.IntegerField(
        min_value=1, max_value=7 * 24 * 60, required=False, allow_null=True
    )

    ALIASES = {"device_ids": "target_devices", "device_type": "target_device_type"}

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "items"):
            data = {self.ALIASES.get(key, key): value for key, value in data.items()}
        return super().to_internal_value(data)


# --- The admin device registry ---------------------------------------------------------------------


class AdminDeviceSerializer(serializers.ModelSerializer):
    """A device of the shared registry as the sqal admin pages show it (``firmwareVersion`` as the device
    last reported it; the token's prefix only, never the token)."""

    firmware_version = serializers.SerializerMethodField()
    has_token = serializers.SerializerMethodField()
    token_prefix = serializers.SerializerMethodField()
    token_last_used_at = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Device
        fields = (
            "id",
            "device_id",
            "device_type",
            "name",
            "location",
            "unit",
            "status",
            "firmware_version",
            "health_score",
            "last_seen",
            "metadata",
            "has_token",
            "token_prefix",
            "token_last_used_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @staticmethod
    def _credential(obj: Device) -> Any:
        return getattr(obj, "credential", None) if hasattr(obj, "credential") else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_firmware_version(self, obj: Device) -> str | None:
        value = (obj.metadata or {}).get("firmware_version")
        return str(value) if value not in (None, "") else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_token(self, obj: Device) -> bool:
        return self._credential(obj) is not None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_token_prefix(self, obj: Device) -> str | None:
        credential = self._credential(obj)
        return credential.prefix if credential is not None else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_token_last_used_at(self, obj: Device) -> str | None:
        credential = self._credential(obj)
        if credential is None or credential.last_used_at is None:
            return None
        return serializers.DateTimeField().to_representation(credential.last_used_at)


class AdminDeviceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    unit = serializers.CharField(max_length=32, required=False, allow_blank=True)
    device_type = serializers.RegexField(
        DEVICE_TYPE_PATTERN, max_length=64, required=False, error_messages={"invalid": DEVICE_TYPE_MESSAGE}
    )
    metadata = serializers.DictField(required=False)
