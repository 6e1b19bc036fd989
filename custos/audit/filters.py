"""One FilterSet for the audit log, used by the three presenters and the exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from custos.audit.models import AuditLog
from custos.audit.vocabulary import stored_forms_of_action, stored_forms_of_entity

# ordering names of the dialects -> model fields (pipeline: created_at, action, user).
ORDERING_FIELDS = {
    "timestamp": "timestamp",
    "created_at": "timestamp",
    "sequence": "sequence",
    "action": "action",
    "user": "actor_label",
    "actor": "actor_label",
    "resource_type": "resource_type",
}


class AuditLogFilter(django_filters.FilterSet):
    # Actions and resource types accept every presented spelling: the pipeline document writes
    # ``create``/``satellite_image``, the enginel and sqal ones ``CREATE``/``SatelliteImage``. Each is
    # mapped back to the stored forms (``custos.audit.vocabulary``), older rows' ``job.create`` included.
    action = django_filters.CharFilter(method="filter_action", label="Action (create, CREATE, login_failed…)")
    resource_type = django_filters.CharFilter(
        method="filter_resource_type", label="Resource type (satellite_image, SatelliteImage…)"
    )
    resource_id = django_filters.CharFilter()
    actor_id = django_filters.CharFilter()
    user = django_filters.CharFilter(field_name="actor_id", label="Acting user id")
    actor_type = django_filters.CharFilter()
    success = django_filters.BooleanFilter()
    organization_id = django_filters.UUIDFilter()
    timestamp__gte = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    timestamp__lte = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lte")
    start_date = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte")
    end_date = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte")
    ordering = django_filters.CharFilter(
        method="filter_ordering", label="Order by (comma-separated, '-' for descending)"
    )

    class Meta:
        model = AuditLog
        fields = ()

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        match = Q()
        for form in stored_forms_of_action(value):
            match |= Q(action__iexact=form) | Q(action__iendswith=f".{form}")  # legacy ``x.verb`` rows
        return queryset.filter(match)

    def filter_resource_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        match = Q()
        for form in stored_forms_of_entity(value):
            match |= Q(resource_type__iexact=form)
        return queryset.filter(match)

    def filter_ordering(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        terms = []
        for raw in value.split(","):
            term = raw.strip()
            descending = term.startswith("-")
            field = ORDERING_FIELDS.get(term.lstrip("-"))
            if field:
                terms.append(f"-{field}" if descending else field)
        return queryset.order_by(*terms, "-sequence") if terms else queryset
