"""What every identity service shares: the user model, validation helpers and the actor checks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError

from custos.kernel.context import WriteContext
from custos.kernel.errors import PermissionDenied, ValidationFailed

User = get_user_model()

# Fields a user may change on their own profile. Clearance, staff and superuser flags, activity,
# credits, the Stripe id, the e-mail address and its confirmation state are never among them.
PROFILE_FIELDS = ("username", "first_name", "last_name", "phone_number", "birth_date", "notification_settings")


def password_errors(password: str, user: Any, field: str = "password") -> None:
    """Django's password validators, as a field error of ``field``."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={field: list(exc.messages)}) from None


def username_errors(username: str) -> None:
    try:
        User.username_validator(username)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={"username": list(exc.messages)}) from None


def acting_as(ctx: WriteContext, user: Any) -> WriteContext:
    """``ctx`` with ``user`` as the actor when the request carried none (a login, a reset link): the
    audit row then names the account that just proved who it is."""
    if ctx.user is not None or user is None:
        return ctx
    return replace(ctx, user=user)


def refuse_api_key_on_owner(ctx: WriteContext, target: Any) -> None:
    """An API key never changes or deletes the account it belongs to (a login is needed for that)."""
    if ctx.api_key is not None and getattr(target, "pk", None) == getattr(ctx.user, "pk", object()):
        raise PermissionDenied("An API key cannot change or delete the account it belongs to; log in instead.")


def is_staff(ctx: WriteContext) -> bool:
    return bool(ctx.user is not None and ctx.user.is_staff)


def is_superuser(ctx: WriteContext) -> bool:
    return bool(ctx.user is not None and ctx.user.is_superuser)
