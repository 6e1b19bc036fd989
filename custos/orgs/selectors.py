"""Reads about organizations and who belongs to them."""

from __future__ import annotations

import functools
import uuid
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from custos.identity.models import ClearanceLevel
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.models import Invitation, Membership, Organization


def organization_ids_for_user(*, user: Any) -> list[Any]:
    """Ids of the active organizations ``user`` belongs to; empty for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_custos_org_ids", None)
    if cached is None:
        connection = connections[Membership.objects.db]
        with connection.cursor() as cursor:
            cursor.execute(_organization_ids_sql(connection.alias), [_user_key(user.pk, connection)])
            cached = [value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in cursor.fetchall()]
        user._custos_org_ids = cached
    return cached


@functools.cache
def _organization_ids_sql(alias: str) -> str:
    """The statement of ``organization_ids_for_user``, compiled by the ORM once per database (every request
    of a tenant route runs it; compiling it cost more than running it). Its one parameter is the user."""
    active = Membership.objects.filter(user_id=uuid.UUID(int=0), organization__is_active=True)
    sql, params = active.values_list("organization_id", flat=True).query.sql_with_params()
    if len(params) != 1:
        raise RuntimeError(f"expected the user as the only parameter, got {params!r}")
    return sql


def _user_key(user_id: Any, connection: Any) -> Any:
    return get_user_model()._meta.pk.get_db_prep_value(user_id, connection)


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


def member_rows(*, organization: Organization, viewer: Any) -> list[Any]:
    """The members of ``organization`` and, for its OWNER/ADMIN and staff only, its pending invitations
    (after the members, oldest first)."""
    rows: list[Any] = list(membership_list(organization=organization))
    if getattr(viewer, "is_staff", False) or is_org_admin(user=viewer, organization=organization):
        rows.extend(invitations_pending(organization=organization).order_by("created_at"))
    return rows


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


# --- Export-control attestation -------------------------------------------------------------


class Attestation(NamedTuple):
    """What an organization attests about one of its members, for export-control checks."""

    is_us_person: bool
    clearance_level: str


NO_ATTESTATION = Attestation(is_us_person=False, clearance_level=ClearanceLevel.UNCLASSIFIED)


def attestation(*, user: Any, organization_id: Any) -> Attestation:
    """The attestation ``organization_id`` holds for ``user``: THE function of every export-control check
    (use the organization that owns the object being opened).

    Anyone who is not an active member of that active organization (anonymous callers, other tenants,
    platform staff who are not members: staff get no implicit clearance) has none: not a US person,
    ``UNCLASSIFIED``. One query.
    """
    if user is None or not getattr(user, "is_authenticated", False) or organization_id is None:
        return NO_ATTESTATION
    row = (
        Membership.objects.filter(user=user, organization_id=organization_id, organization__is_active=True)
        .values_list("is_us_person", "security_clearance_level")
        .first()
    )
    if row is None:
        return NO_ATTESTATION
    return Attestation(is_us_person=bool(row[0]), clearance_level=row[1])


def attestation_shown(*, memberships: list[Membership], organization_id: Any) -> Attestation | None:
    """The attestation a user response shows, from memberships already loaded: that of ``organization_id``
    (the organization in context) when given, else that of the only membership; ``None`` when the
    organization is ambiguous (several memberships, none named) or the user is not a member of it."""
    if organization_id is not None:
        chosen = [m for m in memberships if str(m.organization_id) == str(organization_id)]
    else:
        chosen = memberships if len(memberships) == 1 else []
    if len(chosen) != 1:
        return None
    return Attestation(is_us_person=chosen[0].is_us_person, clearance_level=chosen[0].security_clearance_level)


def organization_id_named(*, viewer: Any, raw: str) -> Any | None:
    """The organization an ``X-Organization`` value (id or slug) names, as ``viewer`` may name it: one of
    their active organizations, or for staff any organization. ``None`` when it names nothing they may
    name (the caller answers 404 either way: nothing is confirmed)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        lookup: dict[str, Any] = {"pk": uuid.UUID(raw)}
    except ValueError:
        lookup = {"slug": raw}
    found = Organization.objects.filter(**lookup).values_list("id", flat=True).first()
    if found is None:
        return None
    if getattr(viewer, "is_staff", False) or found in organization_ids_for_user(user=viewer):
        return found
    return None


def attestation_organization_id(*, viewer: Any, target: Any, organization_id: Any = None) -> Any | None:
    """The organization whose attestation of ``target`` a write by ``viewer`` changes: ``organization_id``
    (the one in context) when given, else the only organization of ``target`` that ``viewer`` may see
    (their own organizations; all for staff); ``None`` when there is no such single organization."""
    if organization_id is not None:
        return organization_id
    rows = Membership.objects.filter(user=target, organization__is_active=True)
    if not getattr(viewer, "is_staff", False):
        rows = rows.filter(organization_id__in=organization_ids_for_user(user=viewer))
    ids = list(rows.values_list("organization_id", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


# --- Invitations ----------------------------------------------------------------------------


def invitations_pending(*, organization: Any = None) -> QuerySet[Invitation]:
    """Invitations not yet accepted, declined, revoked or expired (of ``organization`` when given)."""
    rows = Invitation.objects.filter(
        accepted_at__isnull=True, declined_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if organization is not None:
        rows = rows.filter(organization=organization)
    return rows


def invitations_addressed_to(*, user: Any, by_token: bool = False) -> QuerySet[Invitation]:
    """Invitations (any state) addressed to ``user``: those naming their account, and those sent to their
    e-mail address when it is confirmed (``by_token``: the caller holds the mailed token, which proves
    the mailbox, so confirmation is not needed)."""
    if not getattr(user, "is_authenticated", False):
        return Invitation.objects.none()
    by_address = Q(invitee__isnull=True, invited_email__iexact=user.email)
    if not (by_token or user.email_confirmed):
        by_address = Q(pk__in=[])
    return Invitation.objects.filter(Q(invitee=user) | by_address)


def invitation_list_for_invitee(*, user: Any) -> QuerySet[Invitation]:
    """The caller's own pending invitations, with their organization and inviter."""
    pending = invitations_pending().filter(organization__is_active=True)
    return (
        invitations_addressed_to(user=user)
        .filter(pk__in=pending.values("pk"))
        .select_related("organization", "invited_by")
        .order_by("created_at")
    )
