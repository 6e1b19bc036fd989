"""Twin shapes of devices (``GET /api/devices``) and the inputs of the device routes."""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.devices.choices import DEFAULT_METRIC, DEVICE_ID_PATTERN, DEVICE_TYPE_PATTERN, METRIC_PATTERN
from custos.devices.models import AlertRule, Device, RuleOperator, RuleSeverity
from custos.devices.selectors import AGGREGATES

DEVICE_ID_MESSAGE = "Letters, digits, '_', '-', '.', ':' (at most 64), starting with a letter or digit."
DEVICE_TYPE_MESSAGE = "Lower-case letters, digits, '_' or '-' (at most 64)."


class TwinDeviceSerializer(serializers.ModelSerializer):
    """The device object of the twin document: latest reading of ``value`` as ``timestamp``/``value``."""

    device_name = serializers.CharField(source="name")
    timestamp = serializers.DateTimeField(source="latest_timestamp", allow_null=True, read_only=True)
    value = serializers.FloatField(source="latest_value", allow_null=True, read_only=True)
    status = serializers.CharField()  # normal | warning | critical | offline

    class Meta:
        model = Device
        fields = (
            "id",
            "device_id",
            "device_type",
            "device_name",
            "timestamp",
            "value",
            "status",
            "health_score",
            "efficiency_score",
            "location",
            "unit",
            "metadata",
        )
        read_only_fields = fields


class DeviceWriteSerializer(serializers.Serializer):
    device_id = serializers.RegexField(DEVICE_ID_PATTERN, max_length=64, error_messages={"invalid": DEVICE_ID_MESSAGE})
    device_type = serializers.RegexField(
        DEVICE_TYPE_PATTERN, max_length=64, error_messages={"invalid": DEVICE_TYPE_MESSAGE}
    )
    device_name = serializers.CharField(source="name", max_length=200, allow_blank=True, required=False)
    location = serializers.CharField(max_length=200, allow_blank=True, required=False)
    unit = serializers.CharField(max_length=32, allow_blank=True, required=False)
    metadata = serializers.DictField(required=False)


class TokenIssueInput(serializers.Serializer):
    """Used only when the device does not exist yet (it is registered with these)."""

    device_type = serializers.RegexField(
        DEVICE_TYPE_PATTERN, max_length=64, required=False, error_messages={"invalid": DEVICE_TYPE_MESSAGE}
    )
    device_name = serializers.CharField(max_length=200, allow_blank=True, required=False)


class TokenIssueOutput(serializers.Serializer):
    device_id = serializers.CharField()
    token = serializers.CharField(help_text="Shown once: only its SHA-256 is kept.")
    token_prefix = serializers.CharField()
    issued_at = serializers.DateTimeField()
    rotated = serializers.BooleanField()
    device_created = serializers.BooleanField()


class ReadingInput(serializers.Serializer):
    """One reading (schema only: rows are validated by the service, all or nothing)."""

    timestamp = serializers.DateTimeField()
    value = serializers.FloatField()
    metric = serializers.CharField(required=False, default=DEFAULT_METRIC)


class DeviceReadingInput(ReadingInput):
    device_id = serializers.CharField()


class AcceptedOutput(serializers.Serializer):
    accepted = serializers.IntegerField()


def _interval_seconds(raw: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = raw.strip().lower()
    factor = units.get(text[-1:])
    number = text[:-1] if factor else text
    if not number.isdigit():
        raise serializers.ValidationError("Seconds, or a number with s, m, h or d (e.g. 300, 5m, 1h).")
    seconds = int(number) * (factor or 1)
    if not 1 <= seconds <= 30 * 86400:
        raise serializers.ValidationError("Between 1 second and 30 days.")
    return seconds


class HistoricalQuery(serializers.Serializer):
    device_id = serializers.CharField(max_length=64)
    hours = serializers.IntegerField(min_value=1, max_value=24 * 366, default=24)
    metric = serializers.RegexField(METRIC_PATTERN, default=DEFAULT_METRIC)
    interval = serializers.CharField(required=False, max_length=16)
    agg = serializers.ChoiceField(choices=sorted(AGGREGATES), default="avg")
    limit = serializers.IntegerField(min_value=1, max_value=10_000, default=1000)

    def validate_interval(self, value: str) -> int:
        return _interval_seconds(value)


class HistoricalOutput(serializers.Serializer):
    device_id = serializers.CharField()
    metric = serializers.CharField()
    unit = serializers.CharField()
    timestamps = serializers.ListField(child=serializers.DateTimeField())
    values = serializers.ListField(child=serializers.FloatField(allow_null=True))
    interval = serializers.IntegerField(required=False, help_text="Bucket length in seconds (with `interval`).")
    agg = serializers.CharField(required=False)


# --- Alarm rules and the twin's alerts ------------------------------------------------------------


def _finite(value: float) -> None:
    if value is not None and not math.isfinite(value):
        raise serializers.ValidationError("Must be a finite number.")


# Documented by a pattern, not an enum: the enum components named "severity" belong to other documents.
@extend_schema_field({"type": "string", "pattern": "^(warning|critical)$"})
class RuleSeverityField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RuleSeverity.choices, **kwargs)


@extend_schema_field({"type": "string", "pattern": "^(>|>=|<|<=|==|!=)$"})
class RuleOperatorField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=RuleOperator.choices, **kwargs)


TWIN_ALERT_SEVERITIES = ("info", "warning", "critical")


@extend_schema_field({"type": "string", "pattern": "^(info|warning|critical)$"})
class TwinAlertSeverityField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TWIN_ALERT_SEVERITIES, **kwargs)


class AlertRuleSerializer(serializers.ModelSerializer):
    """An alarm rule as ``/api/alert-rules`` shows it (``device`` is the device's own key)."""

    device = serializers.CharField(source="device.device_id", allow_null=True, read_only=True, default=None)
    operator = RuleOperatorField(read_only=True)
    severity = RuleSeverityField(read_only=True)

    class Meta:
        model = AlertRule
        fields = (
            "id",
            "name",
            "metric",
            "device",
            "device_type",
            "operator",
            "threshold",
            "severity",
            "duration_seconds",
            "no_data_minutes",
            "enabled",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class AlertRuleWriteSerializer(serializers.Serializer):
    name = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,63}$",
        max_length=64,
        error_messages={"invalid": "Letters, digits, spaces, '_', '-' or '.' (at most 64)."},
    )
    metric = serializers.RegexField(
        METRIC_PATTERN, max_length=64, required=False, error_messages={"invalid": "Letters, digits, '_', '-' or '.'."}
    )
    device = serializers.RegexField(
        DEVICE_ID_PATTERN,
        max_length=64,
        allow_null=True,
        required=False,
        error_messages={"invalid": DEVICE_ID_MESSAGE},
    )
    device_type = serializers.RegexField(
        DEVICE_TYPE_PATTERN,
        max_length=64,
        allow_blank=True,
        required=False,
        error_messages={"invalid": DEVICE_TYPE_MESSAGE},
    )
    operator = RuleOperatorField()
    threshold = serializers.FloatField(allow_null=True, required=False, validators=[_finite])
    severity = RuleSeverityField()
    duration_seconds = serializers.IntegerField(min_value=0, max_value=7 * 24 * 3600, required=False)
    no_data_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60, allow_null=True, required=False)
    enabled = serializers.BooleanField(required=False)


class TwinAlertsQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=50)
    severity = TwinAlertSeverityField(required=False)
    acknowledged = serializers.ChoiceField(choices=("true", "false"), required=False)
    resolved = serializers.ChoiceField(choices=("true", "false"), required=False)


class TwinAlertOutput(serializers.Serializer):
    """An alert as the twin document shows it (``custos.devices.rules.twin_alert``)."""

    id = serializers.UUIDField()
    device_id = serializers.CharField()
    rule_name = serializers.CharField()
    severity = serializers.CharField(help_text="info, warning or critical")
    message = serializers.CharField()
    timestamp = serializers.CharField(allow_null=True, help_text="When the rule's condition was met (ISO 8601)")
    acknowledged = serializers.BooleanField()
    resolved = serializers.BooleanField()
    value = serializers.FloatField(allow_null=True)
    metadata = serializers.DictField()


class TwinAlertAcknowledged(serializers.Serializer):
    message = serializers.CharField()
    alert = TwinAlertOutput()
