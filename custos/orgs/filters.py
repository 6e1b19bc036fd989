"""Filters of organizations and users (one FilterSet per resource, shared by every presenter)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from custos.identity.models import ClearanceLevel
from custos.orgs.choices import SubscriptionTier
from custos.orgs.models import Organization
from custos.orgs.selectors import memberships_visible_to


class OrganizationFilter(django_filters.FilterSet):
    subscription_tier = django_filters.ChoiceFilter(choices=SubscriptionTier.choices)

    class Meta:
        model = Organization
        fields = ("is_active", "is_us_organization", "subscription_tier")


class UserFilter(django_filters.FilterSet):
    # The attestation of the organization in context (X-Organization), else of any organization of the
    # user the caller may see (custos.orgs.api.users: what the rows show).
    security_clearance_level = django_filters.ChoiceFilter(
        choices=ClearanceLevel.choices, method="filter_attestation", label="Attested clearance level"
    )
    is_us_person = django_filters.BooleanFilter(method="filter_attestation", label="Attested US person")
    role = django_filters.CharFilter(method="filter_role", label="Role in one of the user's organizations")
    organization = django_filters.UUIDFilter(method="filter_organization", label="Member of this organization")

    class Meta:
        model = get_user_model()
        fields = ("is_active", "is_staff", "is_superuser")

    # Both filters read only memberships the caller may see: a role or membership in an organization
    # the caller is not in must not be learnt by filtering on it.

    def _visible(self):
        return memberships_visible_to(viewer=getattr(self.request, "user", None))

    def filter_attestation(self, queryset, name, value):
        from custos.orgs.api.context import organization_in_context

        rows = self._visible().filter(organization__is_active=True, **{name: value})
        request = getattr(self, "request", None)
        chosen = organization_in_context(request) if request is not None else None
        if chosen is not None:
            rows = rows.filter(organization_id=chosen)
        return queryset.filter(id__in=rows.values("user_id"))

    def filter_role(self, queryset, name, value):
        return queryset.filter(id__in=self._visible().filter(role=value.upper()).values("user_id"))

    def filter_organization(self, queryset, name, value):
        return queryset.filter(id__in=self._visible().filter(organization_id=value).values("user_id"))
