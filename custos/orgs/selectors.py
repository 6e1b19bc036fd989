"""Reads about organizations and who belongs to them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet

from custos.orgs.choices import ADMIN_ROLES
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


def role_of(*, user: Any, organization: Any) -> str | None:
    """``user``'s role in ``organization`` (``None`` when not a member)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organization=organization).values_list("role", flat=True).first()


def is_org_admin(*, user: Any, organization: Any) -> bool:
    return role_of(user=user, organization=organization) in ADMIN_ROLES


PLATFORM_ADMIN = "admin"
PLATFORM_USER = "user"


def platform_role(*, user: Any) -> str:
    """The one coarse role of a user, as the twin document and the real-time servers show it:
    ``admin`` for platform staff and for an OWNER/ADMIN of any of their active organizations, else
    ``user``. Every place that maps a user to this role calls this function."""
    if not getattr(user, "is_authenticated", False):
        return PLATFORM_USER
    if user.is_staff or user.is_superuser:
        return PLATFORM_ADMIN
    admin = Membership.objects.filter(user=user, role__in=list(ADMIN_ROLES), organization__is_active=True).exists()
    return PLATFORM_ADMIN if admin else PLATFORM_USER


def organization_list(*, user: Any, org_ids: list[Any] | None = None) -> QuerySet[Organization]:
    """Organizations ``user`` may see: staff all, others those they belong to (narrowed to ``org_ids``)."""
    if getattr(user, "is_staff", False):
        queryset = Organization.objects.all()
        if org_ids is not None:
            queryset = queryset.filter(id__in=org_ids)
    else:
        queryset = Organization.objects.filter(
            id__in=org_ids if org_ids is not None else organization_ids_for_user(user=user), is_active=True
        )
    return queryset.annotate(member_count=Count("memberships", distinct=True))


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("created_at")


def user_list(*, viewer: Any, org_ids: list[Any] | None = None) -> QuerySet:
    """Users ``viewer`` may see: staff all, others the members of their organizations (and themselves).

    Each user's ``memberships`` are prefetched (active organizations only) and, for anyone but staff,
    narrowed to the organizations the viewer belongs to: nothing of an organization the viewer is not
    in (its name, id or the user's role there) reaches the viewer through a user.
    """
    user_model = get_user_model()
    shown = Membership.objects.filter(organization__is_active=True)
    if not getattr(viewer, "is_staff", False):
        shown = shown.filter(organization_id__in=organization_ids_for_user(user=viewer))
    memberships = Prefetch("memberships", queryset=shown.select_related("organization").order_by("created_at"))
    queryset = user_model.objects.prefetch_related(memberships)
    if getattr(viewer, "is_staff", False) and org_ids is None:
        return queryset
    ids = org_ids if org_ids is not None else organization_ids_for_user(user=viewer)
    members = Membership.objects.filter(organization_id__in=ids).values("user_id")
    return queryset.filter(Q(id__in=members) | Q(id=viewer.pk))


def memberships_visible_to(*, viewer: Any) -> QuerySet[Membership]:
    """Memberships ``viewer`` may learn about: staff all, others those of their own organizations."""
    rows = Membership.objects.all()
    if getattr(viewer, "is_staff", False):
        return rows
    return rows.filter(organization_id__in=organization_ids_for_user(user=viewer))


def shares_admin_organization(*, actor: Any, target: Any) -> bool:
    """Whether ``actor`` is OWNER/ADMIN of an organization ``target`` belongs to."""
    target_orgs = Membership.objects.filter(user=target).values("organization_id")
    return Membership.objects.filter(
        user=actor, role__in=list(ADMIN_ROLES), organization_id__in=target_orgs, organization__is_active=True
    ).exists()
