"""Writes about organizations, memberships and user accounts managed by administrators.

Every function checks the actor's right to act, writes, and appends exactly one audit row in the same
transaction. Failures raise ``custos.kernel.errors`` exceptions and change nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from custos.audit.services import audit_changes, audit_record, audit_update
from custos.kernel.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES, TIER_LIMITS, Role, SubscriptionTier
from custos.orgs.models import Membership, Organization
from custos.orgs.selectors import role_of, shares_admin_organization

# Fields of an organization its OWNER/ADMIN may change; the subscription fields are platform staff's.
ORGANIZATION_FIELDS = ("name", "slug", "description", "is_us_organization", "contact_email", "contact_phone")
SUBSCRIPTION_FIELDS = ("subscription_tier", "max_users", "max_storage_gb", "is_active")
CLEARANCE_FIELDS = ("is_us_person", "security_clearance_level")
# Fields of a user account that staff may set through the user administration routes.
USER_FIELDS = ("email", "username", "first_name", "last_name", "phone_number", "is_active")
PROFILE_FIELDS = ("username", "first_name", "last_name", "phone_number")


def _snapshot(obj: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "is_staff", False))


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


def _require_org_admin(actor: Any, organization: Organization, *, owner_only: bool = False) -> None:
    if _is_staff(actor):
        return
    role = role_of(user=actor, organization=organization)
    allowed = {Role.OWNER} if owner_only else ADMIN_ROLES
    if role not in allowed:
        needed = "OWNER" if owner_only else "OWNER or ADMIN"
        raise PermissionDenied(f"This requires the {needed} role in the organization.")


def organization_create(*, actor: Any, data: dict[str, Any], request: Any = None) -> Organization:
    """Create an organization; its creator becomes its OWNER.

    Non-staff creators get the STARTER tier's limits: a tier or limit other than those is refused.
    """
    fields = {name: data[name] for name in ORGANIZATION_FIELDS if name in data}
    tier = data.get("subscription_tier", SubscriptionTier.STARTER)
    default_users, default_gb = TIER_LIMITS[SubscriptionTier(tier)]
    subscription = {
        "subscription_tier": tier,
        "max_users": data.get("max_users", default_users),
        "max_storage_gb": data.get("max_storage_gb", default_gb),
    }
    if not _is_staff(actor):
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
        organization = Organization.objects.create(**fields)
        Membership.objects.create(organization=organization, user=actor, role=Role.OWNER)
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="Organization",
            resource_id=organization.pk,
            resource_name=organization.name,
            changes={name: getattr(organization, name) for name in (*ORGANIZATION_FIELDS, *SUBSCRIPTION_FIELDS)},
            target=organization,
            request=request,
        )
    organization.member_count = 1
    return organization


def organization_update(
    *, actor: Any, organization: Organization, data: dict[str, Any], request: Any = None
) -> Organization:
    """Change an organization: OWNER/ADMIN the profile fields, platform staff also the subscription."""
    _require_org_admin(actor, organization)
    allowed = ORGANIZATION_FIELDS + (SUBSCRIPTION_FIELDS if _is_staff(actor) else ())
    refused = sorted(
        name for name in data if name not in allowed and data[name] != getattr(organization, name, data[name])
    )
    if refused:
        raise PermissionDenied(f"Only platform staff may change: {', '.join(refused)}.")
    wanted = {name: value for name, value in data.items() if name in allowed}
    if "slug" in wanted and Organization.objects.filter(slug=wanted["slug"]).exclude(pk=organization.pk).exists():
        raise Conflict("An organization with this slug already exists.", field_errors={"slug": ["Already taken."]})
    return audit_update(
        organization,
        actor=actor,
        values=wanted,
        resource_type="Organization",
        resource_name=organization.name,
        target=organization,
        request=request,
    )


def organization_delete(*, actor: Any, organization: Organization, request: Any = None) -> None:
    """Close an organization (OWNER or staff). Its rows are kept (audit, compliance) but it disappears
    from every member's view: it is deactivated, not erased."""
    _require_org_admin(actor, organization, owner_only=True)
    with transaction.atomic():
        organization.is_active = False
        organization.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="DELETE",
            resource_type="Organization",
            resource_id=organization.pk,
            resource_name=organization.name,
            changes={"is_active": {"old": True, "new": False}},
            target=organization,
            request=request,
        )


def organization_set_subscription(
    *,
    actor: Any,
    organization: Organization,
    tier: str,
    max_users: int | None = None,
    max_storage_gb: int | None = None,
    request: Any = None,
) -> Organization:
    """Set the tier and its limits (billing and staff): the tier's defaults unless limits are given."""
    default_users, default_gb = TIER_LIMITS[SubscriptionTier(tier)]
    wanted = {
        "subscription_tier": tier,
        "max_users": max_users if max_users is not None else default_users,
        "max_storage_gb": max_storage_gb if max_storage_gb is not None else default_gb,
    }
    return audit_update(
        organization,
        actor=actor,
        values=wanted,
        resource_type="Organization",
        resource_name=organization.name,
        target=organization,
        request=request,
    )


# --- Memberships ----------------------------------------------------------------------------


def membership_add(
    *, actor: Any, organization: Organization, user: Any, role: str = Role.MEMBER, request: Any = None
) -> Membership:
    """Add ``user`` to ``organization`` (OWNER/ADMIN; only an OWNER grants OWNER), within ``max_users``."""
    _require_org_admin(actor, organization)
    if role not in Role.values:
        raise ValidationFailed(field_errors={"role": [f"Must be one of: {', '.join(Role.values)}."]})
    if role == Role.OWNER and not _is_staff(actor) and role_of(user=actor, organization=organization) != Role.OWNER:
        raise PermissionDenied("Only an OWNER may add another OWNER.")
    with transaction.atomic():
        # Serialise additions to this organization so two concurrent adds cannot both pass the limit.
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        if Membership.objects.filter(organization=locked, user=user).exists():
            raise Conflict("This user is already a member of the organization.")
        organization_check_users(locked, 1)
        try:
            with transaction.atomic():
                membership = Membership.objects.create(organization=locked, user=user, role=role)
        except IntegrityError:
            raise Conflict("This user is already a member of the organization.") from None
        audit_record(
            actor=actor,
            action="ADD_MEMBER",
            resource_type="Membership",
            resource_id=membership.pk,
            resource_name=f"{user} in {locked.name}",
            changes={"user": str(user.pk), "email": user.email, "role": role},
            target=locked,
            request=request,
        )
    return membership


# --- Users (administration) -----------------------------------------------------------------


def _validate_password(password: str, user: Any) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={"password": list(exc.messages)}) from None


def _check_clearance_rights(actor: Any, target: Any, data: dict[str, Any]) -> None:
    touched = [name for name in CLEARANCE_FIELDS if name in data and data[name] != getattr(target, name, None)]
    if not touched:
        return
    if target is not None and getattr(target, "pk", None) == getattr(actor, "pk", None):
        raise PermissionDenied("You cannot change your own clearance.")
    if _is_staff(actor):
        return
    if target is None or not shares_admin_organization(actor=actor, target=target):
        raise PermissionDenied("Clearance is changed only by staff or an OWNER/ADMIN of the user's organization.")


def _check_unique(user_model: Any, data: dict[str, Any], exclude: Any = None) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("email", "username"):
        if name in data:
            clash = user_model.objects.filter(**{f"{name}__iexact": data[name]})
            if exclude is not None:
                clash = clash.exclude(pk=exclude.pk)
            if clash.exists():
                errors[name] = [f"A user with this {name} already exists."]
    if errors:
        raise Conflict("A user with these details already exists.", field_errors=errors)


def user_create(*, actor: Any, data: dict[str, Any], request: Any = None) -> Any:
    """Create an account (staff). Optional ``organization`` (an ``Organization``) and ``role`` add a membership."""
    if not _is_staff(actor):
        raise PermissionDenied("Only staff may create users.")
    user_model = get_user_model()
    data = dict(data)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    _check_unique(user_model, data)
    if data.get("is_staff") and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only a superuser may create staff accounts.")
    password = data.pop("password", None)
    organization = data.pop("organization", None)
    role = data.pop("role", None) or Role.MEMBER
    fields = {name: data[name] for name in (*USER_FIELDS, *CLEARANCE_FIELDS, "is_staff") if name in data}
    candidate = user_model(**fields)
    if password:
        _validate_password(password, candidate)
    with transaction.atomic():
        user = user_model.objects.create_user(password=password, **fields)
        if not password:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        changes = {name: getattr(user, name) for name in (*USER_FIELDS, *CLEARANCE_FIELDS, "is_staff")}
        if organization is not None:
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            organization_check_users(locked, 1)
            Membership.objects.create(organization=locked, user=user, role=role)
            changes.update(organization=str(locked.pk), role=role)
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="User",
            resource_id=user.pk,
            resource_name=user.email,
            changes=changes,
            organization_id=organization.pk if organization is not None else None,
            request=request,
        )
    return user


def user_update(*, actor: Any, target: Any, data: dict[str, Any], request: Any = None) -> Any:
    """Change an account: staff any administrable field; an OWNER/ADMIN of one of the user's organizations
    only the clearance fields; nobody their own clearance."""
    data = dict(data)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    password = data.pop("password", None)
    non_clearance = [
        name for name in data if name not in CLEARANCE_FIELDS and data[name] != getattr(target, name, object())
    ]
    if not _is_staff(actor) and (non_clearance or password):
        raise PermissionDenied("Only staff may change user accounts; organization admins may change clearance.")
    if "is_staff" in data and data["is_staff"] != target.is_staff and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only a superuser may grant or remove staff status.")
    if target.is_superuser and not getattr(actor, "is_superuser", False) and target.pk != actor.pk:
        raise PermissionDenied("Only a superuser may change a superuser account.")
    _check_clearance_rights(actor, target, data)
    _check_unique(get_user_model(), data, exclude=target)
    if target.pk == actor.pk and data.get("is_active") is False:
        raise PermissionDenied("You cannot deactivate your own account.")
    allowed = (*USER_FIELDS, *CLEARANCE_FIELDS, "is_staff")
    wanted = {name: value for name, value in data.items() if name in allowed}
    if password:
        _validate_password(password, target)
    changes = audit_changes(_snapshot(target, list(wanted)), wanted)
    if password:
        changes["password"] = "changed"  # noqa: S105 - records that it changed, never the value
    with transaction.atomic():
        for name, value in wanted.items():
            setattr(target, name, value)
        if password:
            target.set_password(password)
        target.save()
        audit_record(
            actor=actor,
            action="UPDATE",
            resource_type="User",
            resource_id=target.pk,
            resource_name=target.email,
            changes=changes,
            request=request,
        )
    return target


def user_update_profile(*, actor: Any, data: dict[str, Any], request: Any = None) -> Any:
    """A user changes their own profile (never clearance, staff status or activity)."""
    refused = sorted(
        name for name in data if name not in PROFILE_FIELDS and data[name] != getattr(actor, name, object())
    )
    if refused:
        raise PermissionDenied(f"You cannot change your own {', '.join(refused)}.")
    data = {name: value for name, value in data.items() if name in PROFILE_FIELDS}
    _check_unique(get_user_model(), data, exclude=actor)
    changes = audit_changes(_snapshot(actor, list(data)), data)
    with transaction.atomic():
        for name, value in data.items():
            setattr(actor, name, value)
        actor.save()
        audit_record(
            actor=actor,
            action="UPDATE",
            resource_type="User",
            resource_id=actor.pk,
            resource_name=actor.email,
            changes=changes,
            request=request,
        )
    return actor


def user_set_active(*, actor: Any, target: Any, active: bool, request: Any = None) -> Any:
    """Activate or deactivate an account (staff; never one's own; a superuser only by a superuser)."""
    if not _is_staff(actor):
        raise PermissionDenied("Only staff may activate or deactivate users.")
    if target.pk == actor.pk:
        raise PermissionDenied("You cannot change the activity of your own account.")
    if target.is_superuser and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only a superuser may change a superuser account.")
    with transaction.atomic():
        old = target.is_active
        target.is_active = active
        target.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action="ACTIVATE" if active else "DEACTIVATE",
            resource_type="User",
            resource_id=target.pk,
            resource_name=target.email,
            changes={"is_active": {"old": old, "new": active}},
            request=request,
        )
    return target


def user_delete(*, actor: Any, target: Any, request: Any = None) -> None:
    """Delete an account (staff; never one's own; a superuser only by a superuser)."""
    if not _is_staff(actor):
        raise PermissionDenied("Only staff may delete users.")
    if target.pk == actor.pk:
        raise PermissionDenied("You cannot delete your own account here.")
    if target.is_superuser and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only a superuser may delete a superuser account.")
    with transaction.atomic():
        user_id, email = target.pk, target.email
        target.delete()
        audit_record(
            actor=actor,
            action="DELETE",
            resource_type="User",
            resource_id=user_id,
            resource_name=email,
            request=request,
        )


def organization_for_admin(*, actor: Any, organization_id: Any) -> Organization:
    """An organization named by staff in a user administration request (404 when unknown)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not _is_staff(actor):
        raise NotFound("Organization not found.")
    return organization
