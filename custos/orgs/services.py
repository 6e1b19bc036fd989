"""Writes about organizations and memberships (account writes are ``custos.identity.services``).

Every function takes a ``WriteContext`` first, checks the actor's right to act, writes, and appends
exactly one audit row in the same transaction (``custos.audit.writes``). Failures raise
``custos.kernel.errors`` exceptions and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from custos.audit.writes import audited_create, audited_update
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES, TIER_LIMITS, Role, SubscriptionTier
from custos.orgs.models import Membership, Organization
from custos.orgs.selectors import role_of

# Fields of an organization its OWNER/ADMIN may change; the subscription fields are platform staff's.
ORGANIZATION_FIELDS = ("name", "slug", "description", "is_us_organization", "contact_email", "contact_phone")
SUBSCRIPTION_FIELDS = ("subscription_tier", "max_users", "max_storage_gb", "is_active")


def _is_staff(ctx: WriteContext) -> bool:
    return bool(ctx.user is not None and ctx.user.is_staff)


# --- Limits ---------------------------------------------------------------------------------


def organization_check_users(organization: Organization, additional: int = 1) -> None:
    """Raise ``ORGANIZATION_LIMIT_EXCEEDED`` when ``additional`` more members would pass ``max_users``."""
    current = Membership.objects.filter(organization=organization).count()
    if current + additional > organization.max_users:
        raise LimitExceeded(
            f"Organization '{organization.name}' allows at most {organization.max_users} users "
            f"({current} already); upgrade the subscription to add more.",
            extra={"limit": organization.max_users, "current": current},
        )


def organization_check_storage(organization: Organization, additional_bytes: int) -> None:
    """Raise ``ORGANIZATION_LIMIT_EXCEEDED`` when storing ``additional_bytes`` more passes ``max_storage_gb``.

    Called by every module before it stores a file for the organization (then
    ``organization_storage_consume`` once the file is stored).
    """
    used = Organization.objects.filter(pk=organization.pk).values_list("storage_used_bytes", flat=True).first() or 0
    if additional_bytes > 0 and used + additional_bytes > organization.storage_limit_bytes:
        raise LimitExceeded(
            f"Organization '{organization.name}' storage limit of {organization.max_storage_gb} GB would be "
            f"exceeded ({used} bytes used, {additional_bytes} more requested).",
            extra={"limit_bytes": organization.storage_limit_bytes, "used_bytes": used},
        )


def organization_storage_consume(*, organization: Organization, delta_bytes: int) -> None:
    """Count ``delta_bytes`` (negative when files are removed) against the organization's storage."""
    if delta_bytes > 0:
        organization_check_storage(organization, delta_bytes)
    Organization.objects.filter(pk=organization.pk).update(storage_used_bytes=F("storage_used_bytes") + delta_bytes)
    Organization.objects.filter(pk=organization.pk, storage_used_bytes__lt=0).update(storage_used_bytes=0)


# --- Organizations --------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "organization"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _require_org_admin(ctx: WriteContext, organization: Organization, *, owner_only: bool = False) -> None:
    """OWNER/ADMIN (or OWNER only) of ``organization``, or platform staff, or the platform itself."""
    if _is_staff(ctx) or ctx.is_system:
        return
    allowed = {Role.OWNER} if owner_only else ADMIN_ROLES
    if ctx.user is None or role_of(user=ctx.user, organization=organization) not in allowed:
        needed = "OWNER" if owner_only else "OWNER or ADMIN"
        raise PermissionDenied(f"This requires the {needed} role in the organization.")


def organization_create(ctx: WriteContext, *, data: dict[str, Any]) -> Organization:
    """Create an organization; its creator (``ctx.user``) becomes its OWNER.

    Non-staff creators get the STARTER tier's limits: a tier or limit other than those is refused.
    """
    if ctx.user is None:
        raise PermissionDenied("Log in to create an organization.")
    fields = {name: data[name] for name in ORGANIZATION_FIELDS if name in data}
    tier = data.get("subscription_tier", SubscriptionTier.STARTER)
    default_users, default_gb = TIER_LIMITS[SubscriptionTier(tier)]
    subscription = {
        "subscription_tier": tier,
        "max_users": data.get("max_users", default_users),
        "max_storage_gb": data.get("max_storage_gb", default_gb),
    }
    if not _is_staff(ctx):
        starter = dict(zip(("max_users", "max_storage_gb"), TIER_LIMITS[SubscriptionTier.STARTER], strict=True))
        starter["subscription_tier"] = SubscriptionTier.STARTER
        if subscription != starter:
            raise PermissionDenied(
                "Only platform staff may set the subscription tier and limits; new organizations start on STARTER."
            )
    fields.update(subscription)
    if not fields.get("slug"):
        fields["slug"] = _unique_slug(fields.get("name", ""))
    elif Organization.objects.filter(slug=fields["slug"]).exists():
        raise Conflict("An organization with this slug already exists.", field_errors={"slug": ["Already taken."]})
    with transaction.atomic():
        organization = audited_create(ctx, Organization, values=fields, roles=None)
        Membership.objects.create(organization=organization, user=ctx.user, role=Role.OWNER)
    organization.member_count = 1
    return organization


def organization_update(ctx: WriteContext, *, organization: Organization, data: dict[str, Any]) -> Organization:
    """Change an organization: OWNER/ADMIN the profile fields, platform staff also the subscription."""
    _require_org_admin(ctx, organization)
    allowed = ORGANIZATION_FIELDS + (SUBSCRIPTION_FIELDS if _is_staff(ctx) else ())
    refused = sorted(
        name for name in data if name not in allowed and data[name] != getattr(organization, name, data[name])
    )
    if refused:
        raise PermissionDenied(f"Only platform staff may change: {', '.join(refused)}.")
    wanted = {name: value for name, value in data.items() if name in allowed}
    if "slug" in wanted and Organization.objects.filter(slug=wanted["slug"]).exclude(pk=organization.pk).exists():
        raise Conflict("An organization with this slug already exists.", field_errors={"slug": ["Already taken."]})
    return audited_update(ctx, organization, values=wanted, roles=None)


def organization_delete(ctx: WriteContext, *, organization: Organization) -> None:
    """Close an organization (OWNER or staff). Its rows are kept (audit, compliance) but it disappears
    from every member's view: it is deactivated, not erased."""
    _require_org_admin(ctx, organization, owner_only=True)
    audited_update(ctx, organization, values={"is_active": False}, action="DELETE", roles=None)


def organization_set_subscription(
    ctx: WriteContext,
    *,
    organization: Organization,
    tier: str,
    max_users: int | None = None,
    max_storage_gb: int | None = None,
) -> Organization:
    """Set the tier and its limits (billing and staff): the tier's defaults unless limits are given."""
    if not (_is_staff(ctx) or ctx.is_system):
        raise PermissionDenied("Only platform staff or billing set the subscription.")
    default_users, default_gb = TIER_LIMITS[SubscriptionTier(tier)]
    wanted = {
        "subscription_tier": tier,
        "max_users": max_users if max_users is not None else default_users,
        "max_storage_gb": max_storage_gb if max_storage_gb is not None else default_gb,
    }
    return audited_update(ctx, organization, values=wanted, roles=None)


# --- Memberships ----------------------------------------------------------------------------


def membership_add(ctx: WriteContext, *, organization: Organization, user: Any, role: str = Role.MEMBER) -> Membership:
    """Add ``user`` to ``organization`` (OWNER/ADMIN; only an OWNER grants OWNER), within ``max_users``."""
    _require_org_admin(ctx, organization)
    if role not in Role.values:
        raise ValidationFailed(field_errors={"role": [f"Must be one of: {', '.join(Role.values)}."]})
    if (
        role == Role.OWNER
        and not (_is_staff(ctx) or ctx.is_system)
        and role_of(user=ctx.user, organization=organization) != Role.OWNER
    ):
        raise PermissionDenied("Only an OWNER may add another OWNER.")
    duplicate = "This user is already a member of the organization."
    try:
        with transaction.atomic():
            # Serialise additions to this organization so two concurrent adds cannot both pass the limit.
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            if Membership.objects.filter(organization=locked, user=user).exists():
                raise Conflict(duplicate)
            organization_check_users(locked, 1)
            return audited_create(
                ctx,
                Membership,
                values={"organization": locked, "user": user, "role": role},
                roles=None,
                audit_values={"user": str(user.pk), "email": user.email, "role": role},
            )
    except IntegrityError:
        raise Conflict(duplicate) from None


def organization_for_admin(ctx: WriteContext, *, organization_id: Any) -> Organization:
    """An organization named by staff in a user administration request (404 when unknown or not staff)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not _is_staff(ctx):
        raise NotFound("Organization not found.")
    return organization
