"""Input and output shapes of the report routes (sqal dialect: camelCase on the wire, snake_case here)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.reports.choices import MAX_DAYS, MAX_RECIPIENTS, Frequency, ReportFormat
from custos.reports.models import Report, ReportTemplate, ScheduledReport

MAX_FILTERS = 20
MAX_SECTIONS = 20
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@extend_schema_field({"type": "string", "enum": list(ReportFormat.values)})
class DefaultFormatField(serializers.ChoiceField):
    """A template's default format: the report formats, documented inline (one enum name, ``FormatEnum``)."""


def _filters() -> serializers.DictField:
    return serializers.DictField(child=serializers.CharField(max_length=200), required=False)


def _check_filters(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_FILTERS:
        raise serializers.ValidationError(f"At most {MAX_FILTERS} filters.")
    return value


class ReportInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    report_type = serializers.CharField(max_length=64, required=False)
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False)
    template_id = serializers.UUIDField(required=False, allow_null=True)
    filters = _filters()
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)

    def validate_filters(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_filters(value)


class TemplateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    report_type = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sections = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_SECTIONS
    )
    filters = _filters()
    default_format = DefaultFormatField(choices=ReportFormat.choices, required=False)

    def validate_filters(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_filters(value)


class ScheduleInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    report_type = serializers.CharField(max_length=64, required=False)
    template_id = serializers.UUIDField(required=False, allow_null=True)
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False)
    filters = _filters()
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, required=False, allow_null=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    time = serializers.CharField(required=False, help_text="HH:MM, UTC (default 06:00).")
    hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    minute = serializers.IntegerField(min_value=0, max_value=59, required=False)
    day_of_week = serializers.IntegerField(min_value=0, max_value=6, required=False, allow_null=True)
    day_of_month = serializers.IntegerField(min_value=1, max_value=31, required=False, allow_null=True)
    recipients = serializers.ListField(
        child=serializers.EmailField(max_length=254), min_length=1, max_length=MAX_RECIPIENTS
    )
    is_active = serializers.BooleanField(required=False)

    def validate_filters(self, value: dict[str, Any]) -> dict[str, Any]:
        return _check_filters(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        raw = attrs.pop("time", None)
        if raw is not None:
            match = TIME_PATTERN.match(raw)
            if match is None:
                raise serializers.ValidationError({"time": ["A time of day as HH:MM (UTC)."]})
            if ("hour" in attrs and attrs["hour"] != int(match[1])) or (
                "minute" in attrs and attrs["minute"] != int(match[2])
            ):
                raise serializers.ValidationError({"time": ["Disagrees with hour/minute."]})
            attrs["hour"], attrs["minute"] = int(match[1]), int(match[2])
        return attrs


class ReportOutput(serializers.ModelSerializer):
    template_id = serializers.UUIDField(read_only=True, allow_null=True)
    scheduled_report_id = serializers.UUIDField(read_only=True, allow_null=True)
    task_id = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Report
        fields = (
            "id",
            "name",
            "report_type",
            "format",
            "status",
            "task_id",
            "progress",
            "template_id",
            "scheduled_report_id",
            "period_start",
            "period_end",
            "filters",
            "sections",
            "filename",
            "file_size",
            "content_type",
            "rows",
            "error",
            "download_url",
            "emailed_to",
            "created_by",
            "created_at",
            "completed_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_task_id(self, report: Report) -> str | None:
        return str(report.job_id) if report.job_id else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_progress(self, report: Report) -> int:
        """Percent done (the generating Job's progress)."""
        if report.status == "completed":
            return 100
        return report.job.percent if report.job is not None else 0

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, report: Report) -> str | None:
        return f"/api/reports/{report.pk}/download" if report.status == "completed" else None


class TemplateOutput(serializers.ModelSerializer):
    default_format = DefaultFormatField(choices=ReportFormat.choices, read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ReportTemplate
        fields = (
            "id",
            "name",
            "description",
            "report_type",
            "title",
            "sections",
            "filters",
            "default_format",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ScheduleOutput(serializers.ModelSerializer):
    template_id = serializers.UUIDField(read_only=True, allow_null=True)
    time = serializers.SerializerMethodField()
    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)

    class Meta:
        model = ScheduledReport
        fields = (
            "id",
            "name",
            "report_type",
            "format",
            "template_id",
            "filters",
            "days",
            "frequency",
            "time",
            "hour",
            "minute",
            "day_of_week",
            "day_of_month",
            "recipients",
            "is_active",
            "next_run_at",
            "last_run_at",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_time(self, schedule: ScheduledReport) -> str:
        return f"{schedule.hour:02d}:{schedule.minute:02d}"


class ReportTypeOutput(serializers.Serializer):
    report_type = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    sections = serializers.ListField(child=serializers.CharField())
    filters = serializers.ListField(child=serializers.CharField())


class ReportTypesEnvelope(serializers.Serializer):
    """``GET /api/reports/types/``: the sqal ``{data, message}`` object around the list."""

    data = ReportTypeOutput(many=True)  # type: ignore[assignment]  # a field named like Serializer.data
    message = serializers.CharField()
