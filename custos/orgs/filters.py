"""Filters of organizations and users (one FilterSet per resource, shared by every presenter)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from custos.identity.models import ClearanceLevel
from custos.orgs.choices import SubscriptionTier
from custos.orgs.models import Organization


class OrganizationFilter(django_filters.FilterSet):
    subscription_tier = django_filters.ChoiceFilter(choices=SubscriptionTier.choices)

    class Meta:
        model = Organization
        fields = ("is_active", "is_us_organization", "subscription_tier")


class UserFilter(django_filters.FilterSet):
    security_clearance_level = django_filters.ChoiceFilter(choices=ClearanceLevel.choices)
    role = django_filters.CharFilter(method="filter_role", label="Role in one of the user's organizations")

    class Meta:
        model = get_user_model()
        fields = ("is_active", "is_staff", "is_superuser", "is_us_person", "security_clearance_level")

    def filter_role(self, queryset, name, value):
        return queryset.filter(memberships__role=value.upper()).distinct()
