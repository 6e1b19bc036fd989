"""The list filter backend: django-filter's answers, without a form when a request names no filter."""

from __future__ import annotations

from unittest import mock

import django_filters
import pytest
from django_filters import FilterSet
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from custos.api.filtering import FilterBackend, absence_filters_nothing, names_a_filter
from custos.orgs.filters import OrganizationFilter
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db


class ByFields(ListAPIView):
    queryset = Organization.objects.order_by("slug")
    filterset_fields = ("is_active", "slug")


class ByClass(ListAPIView):
    queryset = Organization.objects.order_by("slug")
    filterset_class = OrganizationFilter


def _filter(view_class: type[ListAPIView], query: str = "") -> list[str]:
    request = Request(APIRequestFactory().get(f"/?{query}"))
    view = view_class()
    queryset = FilterBackend().filter_queryset(request, Organization.objects.order_by("slug"), view)
    return list(queryset.values_list("slug", flat=True))


@pytest.fixture
def organizations():
    Organization.objects.create(name="A", slug="a")
    Organization.objects.create(name="B", slug="b", is_active=False, subscription_tier="ENTERPRISE")
    Organization.objects.create(name="C", slug="c", subscription_tier="ENTERPRISE")


def test_filters_answer_as_django_filter_does(organizations):
    assert _filter(ByFields) == ["a", "b", "c"]
    assert _filter(ByFields, "is_active=false") == ["b"]
    assert _filter(ByFields, "slug=c&is_active=true") == ["c"]
    assert _filter(ByClass, "subscription_tier=ENTERPRISE") == ["b", "c"]
    assert _filter(ByClass, "page_size=2&ordering=slug") == ["a", "b", "c"]  # no filter named: unfiltered
    with pytest.raises(ValidationError) as raised:
        _filter(ByClass, "subscription_tier=platinum")
    assert "subscription_tier" in raised.value.detail


def test_no_form_is_built_when_no_filter_is_named(organizations):
    with mock.patch.object(FilterSet, "__init__", side_effect=AssertionError("built")) as built:
        assert _filter(ByClass, "page=1&search=x") == ["a", "b", "c"]
        assert _filter(ByFields) == ["a", "b", "c"]
        with pytest.raises(AssertionError, match="built"):
            _filter(ByClass, "is_active=true")
    assert built.call_count == 1


def test_the_class_for_filterset_fields_is_built_once_per_view():
    backend = FilterBackend()
    first = backend.get_filterset_class(ByFields(), ByFields.queryset)
    assert first is backend.get_filterset_class(ByFields(), ByFields.queryset)
    assert sorted(first.base_filters) == ["is_active", "slug"]


def test_only_filter_sets_whose_absent_values_filter_nothing_are_skipped():
    class Required(FilterSet):
        slug = django_filters.CharFilter(required=True)

        class Meta:
            model = Organization
            fields = ("slug",)

    class Narrowing(FilterSet):
        class Meta:
            model = Organization
            fields = ("slug",)

        def filter_queryset(self, queryset):
            return super().filter_queryset(queryset).filter(is_active=True)

    assert absence_filters_nothing(OrganizationFilter)
    assert not absence_filters_nothing(Required)
    assert not absence_filters_nothing(Narrowing)


def test_a_parameter_with_a_range_suffix_counts_as_naming_its_filter():
    assert names_a_filter({"subscription_tier": "x"}, OrganizationFilter)
    assert names_a_filter({"is_active_after": "x"}, OrganizationFilter)
    assert not names_a_filter({"page": "2", "ordering": "-slug"}, OrganizationFilter)
