"""Filters of the bug list: the document's ``status`` and ``severity``, plus assignee, reporter and
category (camelCase names are accepted too)."""

from __future__ import annotations

import django_filters

from custos.modules.bugs.choices import BugSeverity, BugStatus
from custos.modules.bugs.models import BugReport


class BugFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BugStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=BugSeverity.choices)
    assigned_to = django_filters.UUIDFilter(field_name="assigned_to_id")
    reported_by = django_filters.UUIDFilter(field_name="reported_by_id")
    category = django_filters.CharFilter(lookup_expr="iexact")
    assignedTo = django_filters.UUIDFilter(field_name="assigned_to_id", label="alias of assigned_to")
    reportedBy = django_filters.UUIDFilter(field_name="reported_by_id", label="alias of reported_by")

    class Meta:
        model = BugReport
        fields = ("status", "severity", "assigned_to", "reported_by", "category")
