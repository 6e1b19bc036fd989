"""Account writes: one set for every route that changes an account.

* ``user_update_profile``: a user changes their own profile (every ``/me`` route);
* ``user_update``: staff change any administrable field of an account; an OWNER/ADMIN of one of the
  account's organizations only its clearance; nobody their own clearance;
* ``user_create`` / ``user_set_active``: staff;
* ``user_delete``: one's own account with the current password, or another's by staff.

An API key never changes or deletes the account it belongs to (a login is needed).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

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
from custos.orgs.selectors import shares_admin_organization
from custos.orgs.services import organization_check_users

CLEARANCE_FIELDS = ("is_us_person", "security_clearance_level")
# Fields of an account staff may set through the administration routes (besides the password).
USER_FIELDS = ("email", "username", "first_name", "last_name", "phone_number", "is_active")
STAFF_FIELDS = (*USER_FIELDS, "birth_date", "notification_settings", *CLEARANCE_FIELDS, "is_staff")

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


def _check_clearance_rights(ctx: WriteContext, target: Any, data: dict[str, Any]) -> None:
    if not _changed(target, data, CLEARANCE_FIELDS):
        return
    if target.pk == getattr(ctx.user, "pk", None):
        raise PermissionDenied("You cannot change your own clearance.")
    if is_staff(ctx):
        return
    if ctx.user is None or not shares_admin_organization(actor=ctx.user, target=target):
        raise PermissionDenied("Clearance is changed only by staff or an OWNER/ADMIN of the user's organization.")


def user_update(ctx: WriteContext, *, target: Any, data: dict[str, Any]) -> Any:
    """Change an account (staff: any field of ``STAFF_FIELDS`` and the password; an OWNER/ADMIN of one of
    the account's organizations: the clearance fields only)."""
    refuse_api_key_on_owner(ctx, target)
    data = dict(data)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    password = data.pop("password", None)
    others = [name for name in data if name not in CLEARANCE_FIELDS and name in _changed(target, data, [name])]
    if not is_staff(ctx) and (others or password):
        raise PermissionDenied("Only staff may change user accounts; organization admins may change clearance.")
    if "is_staff" in data and data["is_staff"] != target.is_staff and not is_superuser(ctx):
        raise PermissionDenied("Only a superuser may grant or remove staff status.")
    _require_superuser_for(ctx, target)
    _check_clearance_rights(ctx, target, data)
    if target.pk == getattr(ctx.user, "pk", None) and data.get("is_active") is False:
        raise PermissionDenied("You cannot deactivate your own account.")
    wanted = {name: value for name, value in data.items() if name in STAFF_FIELDS}
    _check_unique(_changed(target, wanted, ("email", "username")), exclude=target)
    if "username" in wanted:
        username_errors(wanted["username"])
    if password:
        password_errors(password, target)
    with transaction.atomic():
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
    within the organization's ``max_users``."""
    if not is_staff(ctx):
        raise PermissionDenied("Only staff may create users.")
    data = dict(data)
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
    recorded = {name: getattr(candidate, name) for name in (*USER_FIELDS, *CLEARANCE_FIELDS, "is_staff")}
    with transaction.atomic():
        locked = None
        if organization is not None:
            locked = Organization.objects.select_for_update().get(pk=organization.pk)
            organization_check_users(locked, 1)
            recorded.update(organization=str(locked.pk), role=role)
            ctx = ctx.within(locked.pk)
        user = audited_create(ctx, User, values=values, roles=None, audit_values=recorded)
        if locked is not None:
            Membership.objects.create(organization=locked, user=user, role=role)
    return user


def user_set_active(ctx: WriteContext, *, target: Any, active: bool) -> Any:
    """Activate or deactivate an account (staff; never one's own; a superuser only by a superuser)."""
    if not is_staff(ctx):
        raise PermissionDenied("Only staff may activate or deactivate users.")
    if target.pk == ctx.user.pk:
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
