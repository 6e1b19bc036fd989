"""One FilterSet for the audit log, used by the three presenters and the exports."""

from __future__ import annotations

import django_filters

from custos.audit.models import AuditLog

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
    # Actions and resource types are matched without regard to case: the pipeline document writes
    # ``create``/``pipeline``, the enginel one ``CREATE``/``DesignAsset``.
    action = django_filters.CharFilter(lookup_expr="iexact")
    resource_type = django_filters.CharFilter(lookup_expr="iexact")
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

    def filter_ordering(self, queryset, name, value):
        terms = []
        for raw in value.split(","):
            term = raw.strip()
            descending = term.startswith("-")
            field = ORDERING_FIELDS.get(term.lstrip("-"))
            if field:
                terms.append(f"-{field}" if descending else field)
        return queryset.order_by(*terms, "-sequence") if terms else queryset
