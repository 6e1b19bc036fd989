"""Filters of the PLM lists (specs/003-enginel-plm.md, "Filters" of each resource)."""

from __future__ import annotations

import django_filters

from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewSession


class SeriesFilter(django_filters.FilterSet):
    organization = django_filters.UUIDFilter(field_name="organization_id")
    category = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = DesignSeries
        fields = ("organization", "part_number", "category", "created_by", "classification")


class DesignFilter(django_filters.FilterSet):
    part_number = django_filters.CharFilter(field_name="series__part_number", lookup_expr="icontains")
    material = django_filters.CharFilter(lookup_expr="icontains")
    created_at__gte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_at__lte = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = DesignAsset
        fields = (
            "series",
            "version_number",
            "classification",
            "status",
            "is_valid_geometry",
            "uploaded_by",
            "file_format",
            "itar_controlled",
        )


class NodeFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(method="parent_filter", label="node id, or 'null' for root nodes")
    part_number = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = AssemblyNode
        fields = ("design_asset", "depth", "is_assembly")

    def parent_filter(self, queryset, name, value):
        if value.lower() in ("null", "none", ""):
            return queryset.filter(parent__isnull=True)
        import uuid

        from custos.kernel.errors import ValidationFailed

        try:
            return queryset.filter(parent_id=uuid.UUID(value))
        except ValueError:
            raise ValidationFailed(field_errors={"parent": ["A node id or 'null'."]}) from None


class ReviewFilter(django_filters.FilterSet):
    reviewers = django_filters.UUIDFilter(field_name="decisions__reviewer")
    due_date__lte = django_filters.IsoDateTimeFilter(field_name="due_date", lookup_expr="lte")
    due_date__gte = django_filters.IsoDateTimeFilter(field_name="due_date", lookup_expr="gte")

    class Meta:
        model = ReviewSession
        fields = ("design_asset", "status", "created_by", "outcome")


class MarkupFilter(django_filters.FilterSet):
    class Meta:
        model = Markup
        fields = ("design_asset", "review_session", "author", "severity", "status")
