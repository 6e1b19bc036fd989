"""Account writes: one set for every route that changes an account.

* ``user_update_profile``: a user changes their own profile (every ``/me`` route);
* ``user_update``: staff change any administrable field of an account. ``is_us_person`` and
  ``security_clearance_level`` are not account fields: they are the attestation of one organization
  (``ctx.organization_id``, else the only organization the writer shares with the account), changed
  through ``custos.orgs.services.membership_attest`` (its OWNER/ADMIN or staff; nobody their own);
* ``user_create`` / ``user_set_active``: staff;
* ``user_delete``: one's own account with the current password, or another's by staff.

An API key never changes or deletes the account it belongs to (a login is needed).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from custos.audit.writes import audited_create, audited_delete, audited_update
from custos.identity.services._base import (
    PROFILE_FIELDS,
    User,
    is_staff,
    is_superuser,
    password_errors,
    refuse_api_key_on_owner,
    username_errors,
)
from custos.identity.services.registration import username_from_email
from custos.identity.services.sessions import sessions_revoke_all
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from custos.orgs.choices import Role
from custos.orgs.models import Membership, Organization
from custos.orgs.selectors import attestation_organization_id, attestation_shown
from custos.orgs.services import membership_attest, organization_check_users

# Attested per organization on the membership (custos.orgs), accepted on the account routes.
CLEARANCE_FIELDS = ("is_us_person", "security_clearance_level")
# Fields of an account staff may set through the administration routes (besides the password).
USER_FIELDS = ("email", "username", "first_name", "last_name", "phone_number", "is_active")
STAFF_FIELDS = (*USER_FIELDS, "birth_date", "notification_settings", "is_staff")

_MISSING = object()


def _changed(instance: Any, data: dict[str, Any], names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: data[name] for name in names if name in data and getattr(instance, name, _MISSING) != data[name]}


def _check_unique(data: dict[str, Any], *, exclude: Any = None, conflict: bool = True) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("email", "username"):
        if name in data:
            clash = User.objects.filter(**{f"{name}__iexact": data[name]})
            if exclude is not None:
                clash = clash.exclude(pk=exclude.pk)
            if clash.exists():
                errors[name] = [f"A user with this {name} already exists."]
    if errors and conflict:
        raise Conflict("A user with these details already exists.", field_errors=errors)
    if errors:
        raise ValidationFailed(field_errors=errors)


def _clearance(data: dict[str, Any]) -> dict[str, Any]:
    """The attestation fields of ``data`` that carry a value (``null`` means "unchanged"), removed from it."""
    given = {name: data.pop(name) for name in CLEARANCE_FIELDS if name in data}
    return {name: value for name, value in given.items() if value is not None}


def _attestation_organization(ctx: WriteContext, target: Any) -> Any:
    organization_id = attestation_organization_id(viewer=ctx.user, target=target, organization_id=ctx.organization_id)
    if organization_id is None:
        raise ValidationFailed(
            "Clearance is attested per organization: name the organization in the X-Organization header.",
            code="ORGANIZATION_REQUIRED",
        )
    return organization_id


def _require_superuser_for(ctx: WriteContext, target: Any) -> None:
    if target.is_superuser and not is_superuser(ctx) and target.pk != getattr(ctx.user, "pk", None):
        raise PermissionDenied("Only a superuser may change a superuser account.")


# --- One's own profile ----------------------------------------------------------------------


def user_update_profile(ctx: WriteContext, *, user: Any, data: dict[str, Any], strict: bool = False) -> Any:
    """A user changes their own profile fields (``PROFILE_FIELDS``).

    Other fields in ``data`` are ignored, or with ``strict`` refused (403) when they differ from the
    stored value (a client echoing its unchanged record is accepted)."""
    if ctx.user is None or ctx.user.pk != user.pk:
        raise PermissionDenied("You can only change your own profile here.")
    refuse_api_key_on_owner(ctx, user)
    data = dict(data)
    clearance = _clearance(data)
    if strict and clearance:
        memberships = list(user.memberships.filter(organization__is_active=True))
        shown = attestation_shown(memberships=memberships, organization_id=ctx.organization_id)
        current = (
            {}
            if shown is None
            else {"is_us_person": shown.is_us_person, "security_clearance_level": shown.clearance_level}
        )
        if any(current.get(name, object()) != value for name, value in clearance.items()):
            raise PermissionDenied("You cannot change your own clearance.")
    if strict:
        refused = sorted(name for name in data if name not in PROFILE_FIELDS and name in _changed(user, data, [name]))
        if refused:
            raise PermissionDenied(f"You cannot change your own {', '.join(refused)}.")
    wanted = _changed(user, data, PROFILE_FIELDS)
    if "username" in wanted:
        wanted["username"] = wanted["username"].strip()
        username_errors(wanted["username"])
        _check_unique({"username": wanted["username"]}, exclude=user, conflict=False)
    if not wanted:
        return user
    return audited_update(ctx, user, values=wanted, roles=None)


def user_set_avatar(ctx: WriteContext, *, user: Any, avatar: Any) -> Any:
    refuse_api_key_on_owner(ctx, user)
    if ctx.user is None or (ctx.user.pk != user.pk and not is_staff(ctx)):
        raise PermissionDenied("You can only change your own avatar.")
    with transaction.atomic():
        old = user.avatar.name if user.avatar else ""
        user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=False)
        new = user.avatar.name
        user.avatar = old
        return audited_update(ctx, user, values={"avatar": new}, roles=None)


# --- Administration -------------------------------------------------------------------------


def user_update(ctx: WriteContext, *, target: Any, data: dict[str, Any]) -> Any:
    """Change an account (staff: any field of ``STAFF_FIELDS`` and the password) and/or the attestation
    of one organization (``is_us_person``, ``security_clearance_level``: see ``membership_attest``)."""
    refuse_api_key_on_owner(ctx, target)
    data = dict(data)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    password = data.pop("password", None)
    clearance = _clearance(data)
    others = [name for name in data if name in _changed(target, data, [name])]
    if not is_staff(ctx) and (others or password):
        raise PermissionDenied("Only staff may change user accounts; organization admins may change clearance.")
    if "is_staff" in data and data["is_staff"] != target.is_staff and not is_superuser(ctx):
        raise PermissionDenied("Only a superuser may grant or remove staff status.")
    _require_superuser_for(ctx, target)
    organization_id = _attestation_organization(ctx, target) if clearance else None
    if target.pk == getattr(ctx.user, "pk", None) and data.get("is_active") is False:
        raise PermissionDenied("You cannot deactivate your own account.")
    wanted = {name: value for name, value in data.items() if name in STAFF_FIELDS}
    _check_unique(_changed(target, wanted, ("email", "username")), exclude=target)
    if "username" in wanted:
        username_errors(wanted["username"])
    if password:
        password_errors(password, target)
    with transaction.atomic():
        if clearance:
            membership_attest(ctx, user=target, organization_id=organization_id, values=clearance)
        if clearance and not password and not _changed(target, wanted, list(wanted)):
            return target  # only the attestation changed: its own audit row
        extra = None
        if password:
            target.set_password(password)
            target.save(update_fields=["password", "updated_at"])
            extra = {"password": "changed"}  # records that it changed, never the value
        audited_update(ctx, target, values=wanted, roles=None, extra_changes=extra)
        if password:
            sessions_revoke_all(ctx, user=target, reason="password_set_by_staff")
    return target


def user_create(ctx: WriteContext, *, data: dict[str, Any], organization: Organization | None = None) -> Any:
    """Create an account (staff); with ``organization`` (and ``role``, default MEMBER) also its membership,
    within the organization's ``max_users``, attested by the creating staff member when ``is_us_person`` /
    ``security_clearance_level`` are given (refused without an organization)."""
    if not is_staff(ctx):
        raise PermissionDenied("Only staff may create users.")
    data = dict(data)
    clearance = _clearance(data)
    if clearance and organization is None:
        raise ValidationFailed(
            field_errors={"organization_id": ["Clearance is attested per organization: give organization_id."]}
        )
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    if data.get("is_staff") and not is_superuser(ctx):
        raise PermissionDenied("Only a superuser may create staff accounts.")
    _check_unique(data)
    password = data.pop("password", None)
    role = data.pop("role", None) or Role.MEMBER
    values = {name: data[name] for name in STAFF_FIELDS if name in data}
    values.setdefault("username", username_from_email(values["email"]))
    candidate = User(**values)
    if password:
        password_errors(password, candidate)
        candidate.set_password(password)
    else:
        candidate.set_unusable_password()
    values["password"] = candidate.password
    recorded = {name: getattr(candidate, name) for name in (*USER_FIELDS, "is_staff")}
    recorded.update(clearance)
    with transaction.atomic():
        locked = None
        if organization is not None:
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            organization_check_users(locked, 1)
            recorded.update(organization=str(locked.pk), role=role)
            ctx = ctx.within(locked.pk)
        user = audited_create(ctx, User, values=values, roles=None, audit_values=recorded)
        if locked is not None:
            attested = {"attested_by": ctx.user, "attested_at": timezone.now(), **clearance} if clearance else {}
            Membership.objects.create(organization=locked, user=user, role=role, **attested)
    return user


def user_set_active(ctx: WriteContext, *, target: Any, active: bool) -> Any:
    """Activate or deactivate an account (staff; never one's own; a superuser only by a superuser)."""
    user = ctx.user
    if not is_staff(ctx) or user is None:  # (a staff context always has a user)
        raise PermissionDenied("Only staff may activate or deactivate users.")
    if target.pk == user.pk:
        raise PermissionDenied("You cannot change the activity of your own account.")
    _require_superuser_for(ctx, target)
    action = "ACTIVATE" if active else "DEACTIVATE"
    return audited_update(ctx, target, values={"is_active": active}, action=action, roles=None)


def user_delete(ctx: WriteContext, *, target: Any, password: str | None = None) -> None:
    """Delete an account; its sessions, devices and API keys go with it, so its tokens stop working.

    One's own account needs the current ``password`` (and a login, never an API key); another's is
    deleted by staff only (a superuser's by a superuser only)."""
    refuse_api_key_on_owner(ctx, target)
    if ctx.user is not None and target.pk == ctx.user.pk:
        if password is None:
            raise PermissionDenied("Deleting your own account needs your current password.")
        if not target.check_password(password):
            raise ValidationFailed(field_errors={"current_password": ["Invalid password."]})
    else:
        if not is_staff(ctx):
            raise PermissionDenied("Only staff may delete other users.")
        _require_superuser_for(ctx, target)
    try:
        audited_delete(ctx, target, roles=None)
    except ProtectedError:
        raise Conflict("This account still owns records that must be kept; deactivate it instead.") from None
