"""The Job filter set (enginel ``/api/analysis-jobs/`` vocabulary)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from custos.jobs.models import Job, JobStatus

STATUS_GROUPS = {
    "PENDING": [JobStatus.PENDING],
    "PROCESSING": [JobStatus.STARTED, JobStatus.PROGRESS, JobStatus.RETRY],
    "SUCCESS": [JobStatus.SUCCESS],
    "FAILURE": [JobStatus.FAILURE],
    "CANCELLED": [JobStatus.CANCELLED, JobStatus.REVOKED],
    # Celery's own names are accepted too.
    "STARTED": [JobStatus.STARTED],
    "PROGRESS": [JobStatus.PROGRESS],
    "RETRY": [JobStatus.RETRY],
    "REVOKED": [JobStatus.REVOKED],
}


class JobFilter(django_filters.FilterSet):
    design_asset = django_filters.UUIDFilter(method="filter_design_asset")
    job_type = django_filters.CharFilter(field_name="job_type", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=[(name, name) for name in STATUS_GROUPS], method="filter_status")
    started_at__gte = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_at__lte = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lte")

    class Meta:
        model = Job
        fields: list[str] = []

    def filter_design_asset(self, queryset: QuerySet, _name: str, value: object) -> QuerySet:
        return queryset.filter(subject_type="design_asset", subject_id=str(value))

    def filter_status(self, queryset: QuerySet, _name: str, value: str) -> QuerySet:
        return queryset.filter(status__in=STATUS_GROUPS[value])
