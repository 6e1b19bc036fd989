"""Filter sets of the report lists (query parameters; camelCase names are accepted by the sqal parser)."""

from __future__ import annotations

import django_filters

from custos.reports.choices import Frequency, ReportFormat, ReportStatus
from custos.reports.models import Report, ReportTemplate, ScheduledReport


class ReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    format = django_filters.ChoiceFilter(choices=ReportFormat.choices)
    report_type = django_filters.CharFilter()
    scheduled_report_id = django_filters.UUIDFilter(field_name="scheduled_report_id")

    class Meta:
        model = Report
        fields = ("status", "format", "report_type", "scheduled_report_id")


class TemplateFilter(django_filters.FilterSet):
    report_type = django_filters.CharFilter()

    class Meta:
        model = ReportTemplate
        fields = ("report_type",)


class ScheduleFilter(django_filters.FilterSet):
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)
    is_active = django_filters.BooleanFilter()
    report_type = django_filters.CharFilter()

    class Meta:
        model = ScheduledReport
        fields = ("frequency", "is_active", "report_type")
