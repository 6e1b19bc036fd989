"""Writes about organizations and memberships (account writes are ``custos.identity.services``).

Every function takes a ``WriteContext`` first, checks the actor's right to act, writes, and appends
exactly one audit row in the same transaction (``custos.audit.writes``). Failures raise
``custos.kernel.errors`` exceptions and change nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from custos.audit.writes import audited_create, audited_update
from custos.identity.models import ClearanceLevel, User
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationFailed
from custos.orgs import emails
from custos.orgs.choices import (
    ADMIN_ROLES,
    INVITATION_LIFETIME_DAYS,
    TIER_LIMITS,
    InvitationStatus,
    Role,
    SubscriptionTier,
)
from custos.orgs.models import Invitation, Membership, Organization
from custos.orgs.selectors import invitations_addressed_to, invitations_pending, role_of

# Fields of an organization its OWNER/ADMIN may change; the subscription fields are platform staff's.
ORGANIZATION_FIELDS = ("name", "slug", "description", "is_us_organization", "contact_email", "contact_phone")
SUBSCRIPTION_FIELDS = ("subscription_tier", "max_users", "max_storage_gb", "is_active")


def _is_staff(ctx: WriteContext) -> bool:
    return bool(ctx.user is not None and ctx.user.is_staff)


# --- Limits ---------------------------------------------------------------------------------


def organization_check_users(organization: Organization, additional: int = 1) -> None:
    """Raise ``ORGANIZATION_LIMIT_EXCEEDED`` when ``additional`` more members would pass ``max_users``.

    Members and pending invitations both count (an invitation holds its seat until it is accepted,
    declined, revoked or expires), whoever the invitation names: the limit reveals nothing about
    whether an invited account exists."""
    current = (
        Membership.objects.filter(organization=organization).count()
        + invitations_pending(organization=organization).count()
    )
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
        starter: dict[str, Any] = dict(
            zip(("max_users", "max_storage_gb"), TIER_LIMITS[SubscriptionTier.STARTER], strict=True)
        )
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
    # The count the selectors annotate (``member_count``), which the serializer reads when present.
    organization.member_count = 1  # type: ignore[attr-defined]
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


# --- Memberships and invitations -----------------------------------------------------------


def _require_grant(ctx: WriteContext, organization: Organization, role: str) -> None:
    if role not in Role.values:
        raise ValidationFailed(field_errors={"role": [f"Must be one of: {', '.join(Role.values)}."]})
    if (
        role == Role.OWNER
        and not (_is_staff(ctx) or ctx.is_system)
        and role_of(user=ctx.user, organization=organization) != Role.OWNER
    ):
        raise PermissionDenied("Only an OWNER may add another OWNER.")


def membership_add(ctx: WriteContext, *, organization: Organization, user: Any, role: str = Role.MEMBER) -> Membership:
    """Add ``user`` to ``organization`` directly, without an invitation: the platform (``ctx.is_system``:
    imports, demo data) and platform staff only. Everyone else invites (``invitation_create``): nobody
    becomes a member of an organization without accepting."""
    if not (ctx.is_system or _is_staff(ctx)):
        raise PermissionDenied("Members join by accepting an invitation.")
    _require_grant(ctx, organization, role)
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


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invitation_create(
    ctx: WriteContext,
    *,
    organization: Organization,
    role: str = Role.MEMBER,
    user_id: Any = None,
    email: str | None = None,
) -> Invitation:
    """Invite the account ``user_id`` or the address ``email`` to join ``organization`` with ``role``
    (OWNER/ADMIN of it or staff; only an OWNER grants OWNER), within ``max_users``.

    The answer, the audit row and the event are the same whether or not an account stands behind
    ``user_id``/``email``: they carry only what the inviter gave. The invitee (the account's address,
    or ``email``) is mailed a single-use link after commit; an unknown ``user_id`` has no address and
    its invitation simply expires. 409 when the person is already a member or already invited.
    """
    _require_org_admin(ctx, organization)
    _require_grant(ctx, organization, role)
    if (user_id is None) == (not email):
        raise ValidationFailed(field_errors={"user_id": ["Give user_id or email (one of them)."]})
    email = (email or "").strip().lower()
    invitee = None
    if user_id is not None:
        invitee = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        members = Membership.objects.filter(organization=locked)
        pending = invitations_pending(organization=locked)
        if user_id is not None:
            already_member = members.filter(user_id=user_id).exists()
            already_invited = pending.filter(invited_user_id=user_id).exists()
        else:
            already_member = members.filter(user__email__iexact=email).exists()
            already_invited = pending.filter(invited_email=email).exists()
        if already_member:
            raise Conflict("This person is already a member of the organization.")
        if already_invited:
            raise Conflict("This person already has a pending invitation to the organization.")
        organization_check_users(locked, 1)
        invitation = audited_create(
            ctx,
            Invitation,
            values={
                "organization": locked,
                "role": role,
                "invited_email": email,
                "invited_user_id": user_id,
                "invitee": invitee,
                "invited_by": ctx.user,
                "token_hash": _token_hash(raw),
                "expires_at": timezone.now() + timedelta(days=INVITATION_LIFETIME_DAYS),
            },
            roles=None,
            audit_values={
                "user_id": str(user_id) if user_id is not None else None,
                "email": email or None,
                "role": role,
            },
        )
        address = invitee.email if invitee is not None else email
        if address:
            inviter = str(ctx.user) if ctx.user is not None else "Custos"
            transaction.on_commit(
                partial(
                    emails.send_invitation,
                    to=address,
                    organization_name=locked.name,
                    role=role,
                    inviter=inviter,
                    invitation_id=str(invitation.pk),
                    token=raw,
                    days=INVITATION_LIFETIME_DAYS,
                )
            )
    return invitation


def _invitee(ctx: WriteContext) -> User:
    """The caller answering an invitation (a login is required)."""
    if ctx.user is None:
        raise PermissionDenied("Log in to answer an invitation.")
    return ctx.user


def _invitation_of_invitee(ctx: WriteContext, *, invitation_id: Any = None, token: str | None = None) -> Invitation:
    """The invitation the caller names (by id, or by the mailed token), locked; 404 unless it is addressed
    to the caller (nothing about other people's invitations is confirmed). A token stops working once
    its invitation is no longer pending; an id answers 409 then."""
    user = _invitee(ctx)
    if token is not None:
        rows = invitations_addressed_to(user=user, by_token=True).filter(token_hash=_token_hash(token))
    else:
        rows = invitations_addressed_to(user=user).filter(pk=invitation_id)
    invitation = Invitation.objects.select_for_update().filter(pk__in=rows.values("pk")).first()
    if invitation is None or (token is not None and invitation.status != InvitationStatus.PENDING):
        raise NotFound("Invitation not found.")
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(f"This invitation is no longer pending ({invitation.status.lower()}).")
    if not Organization.objects.filter(pk=invitation.organization_id, is_active=True).exists():
        raise NotFound("Invitation not found.")
    return invitation


def invitation_accept(ctx: WriteContext, *, invitation_id: Any = None, token: str | None = None) -> Membership:
    """The invitee (``ctx.user``) accepts: they become a member with the invited role (unattested)."""
    with transaction.atomic():
        invitation = _invitation_of_invitee(ctx, invitation_id=invitation_id, token=token)
        user = _invitee(ctx)
        locked = Organization.objects.select_for_update().get(pk=invitation.organization_id)
        if Membership.objects.filter(organization=locked, user=user).exists():
            raise Conflict("You are already a member of this organization.")
        organization_check_users(locked, 0)  # the invitation already holds its seat
        membership = Membership.objects.create(organization=locked, user=user, role=invitation.role)
        audited_update(
            ctx.within(locked.pk),
            invitation,
            values={"accepted_at": timezone.now(), "invitee": user},
            action="ACCEPT",
            roles=None,
            extra_changes={"membership": str(membership.pk)},
        )
    if hasattr(user, "_custos_org_ids"):
        del user._custos_org_ids
    return membership


def invitation_decline(ctx: WriteContext, *, invitation_id: Any = None, token: str | None = None) -> Invitation:
    """The invitee (``ctx.user``) declines; the seat is freed."""
    with transaction.atomic():
        invitation = _invitation_of_invitee(ctx, invitation_id=invitation_id, token=token)
        return audited_update(
            ctx.within(invitation.organization_id),
            invitation,
            values={"declined_at": timezone.now()},
            action="DECLINE",
            roles=None,
        )


def invitation_revoke(ctx: WriteContext, *, invitation_id: Any) -> Invitation:
    """An OWNER/ADMIN of the invitation's organization (or staff) withdraws a pending invitation.

    404 for anyone outside the organization; 403 for its members who may not manage members."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None:
            raise NotFound("Invitation not found.")
        organization = invitation.organization
        if not (_is_staff(ctx) or ctx.is_system):
            if ctx.user is None or role_of(user=ctx.user, organization=organization) is None:
                raise NotFound("Invitation not found.")
            _require_org_admin(ctx, organization)
        if invitation.status != InvitationStatus.PENDING:
            raise Conflict(f"This invitation is no longer pending ({invitation.status.lower()}).")
        return audited_update(
            ctx.within(organization.pk), invitation, values={"revoked_at": timezone.now()}, action="REVOKE", roles=None
        )


# --- Export-control attestation -------------------------------------------------------------

ATTESTATION_FIELDS = ("is_us_person", "security_clearance_level")


def membership_attest(ctx: WriteContext, *, user: Any, organization_id: Any, values: dict[str, Any]) -> Membership:
    """Set what ``organization_id`` attests about its member ``user`` (``is_us_person``,
    ``security_clearance_level``): that organization's OWNER/ADMIN or platform staff, never the member
    themselves (staff included). Nothing else changes: another organization's attestation of the same
    user, which decides what they may open there, is out of reach. Unchanged values write nothing;
    a change writes one ``ATTEST`` audit row on the membership and the ``membership.attest`` event."""
    unknown = sorted(set(values) - set(ATTESTATION_FIELDS))
    if unknown:
        raise ValidationFailed(field_errors={name: ["Not an attestation field."] for name in unknown})
    level = values.get("security_clearance_level")
    if level is not None and level not in ClearanceLevel.values:
        raise ValidationFailed(
            field_errors={"security_clearance_level": [f"Must be one of: {', '.join(ClearanceLevel.values)}."]}
        )
    own = ctx.user is not None and ctx.user.pk == user.pk
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise NotFound("Organization not found.")
    # Rights first (a refusal must not depend on, and so reveal, the current values); one's own
    # attestation may be echoed unchanged, never changed.
    privileged = own or _is_staff(ctx) or ctx.is_system
    if not privileged and (ctx.user is None or role_of(user=ctx.user, organization=organization) not in ADMIN_ROLES):
        raise PermissionDenied("Clearance is attested only by an OWNER/ADMIN of the organization or by platform staff.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user=user, organization=organization).first()
        if membership is None:
            if own:
                raise PermissionDenied("You cannot change your own clearance.")
            raise NotFound("This user is not a member of the organization.")
        changed = {
            name: value for name, value in values.items() if value is not None and getattr(membership, name) != value
        }
        if not changed:
            return membership
        if own:
            raise PermissionDenied("You cannot change your own clearance.")
        return audited_update(
            ctx.within(organization.pk),
            membership,
            values={**changed, "attested_by": ctx.user, "attested_at": timezone.now()},
            action="ATTEST",
            roles=None,
        )


def organization_for_admin(ctx: WriteContext, *, organization_id: Any) -> Organization:
    """An organization named by staff in a user administration request (404 when unknown or not staff)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not _is_staff(ctx):
        raise NotFound("Organization not found.")
    return organization
