"""Reads about organizations and who belongs to them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from custos.orgs.models import Membership, Organization


def organization_ids_for_user(*, user: Any) -> list[Any]:
    """Ids of the active organizations ``user`` belongs to; empty for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_custos_org_ids", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, organization__is_active=True).values_list("organization_id", flat=True)
        )
        user._custos_org_ids = cached
    return cached


def organizations_for_user(*, user: Any) -> QuerySet[Organization]:
    return Organization.objects.filter(id__in=organization_ids_for_user(user=user))
