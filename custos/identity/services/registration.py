"""Creating accounts: self-registration (every dialect) and pre-registration of an address."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from custos.audit.writes import audited_create
from custos.identity import emails
from custos.identity.models import PreRegistration
from custos.identity.services._base import User, password_errors, username_errors
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed

_NOT_USERNAME = re.compile(r"[^\w.@+-]")


def username_from_email(email: str) -> str:
    """A free username derived from the address's local part (``nina``, then ``nina-2``, ...)."""
    base = _NOT_USERNAME.sub("", email.split("@", 1)[0])[:140] or "user"
    candidate, counter = base, 2
    while User.objects.filter(username__iexact=candidate).exists():
        candidate, counter = f"{base}-{counter}", counter + 1
    return candidate


def user_register(
    ctx: WriteContext,
    *,
    email: str,
    password: str,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    phone_number: str = "",
    birth_date: Any = None,
    notification_settings: dict[str, Any] | None = None,
    avatar: Any = None,
    channel: str = "",
) -> Any:
    """Create an active, unconfirmed account and send the address-confirmation e-mail.

    Without ``username`` one is derived from the address. A duplicate e-mail or username is a
    ``Conflict`` (409); dialects that answer 400 check first.
    """
    email = User.objects.normalize_email(email).strip().lower()
    username = (username or "").strip() or username_from_email(email)
    username_errors(username)
    candidate = User(email=email, username=username, first_name=first_name, last_name=last_name)
    password_errors(password, candidate)
    duplicates: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        duplicates["email"] = ["A user with this e-mail address already exists."]
    if User.objects.filter(username__iexact=username).exists():
        duplicates["username"] = ["A user with this username already exists."]
    if duplicates:
        raise Conflict("Username or email already exists", field_errors=duplicates)
    candidate.set_password(password)
    values = {
        "email": email,
        "username": username,
        "password": candidate.password,
        "first_name": first_name,
        "last_name": last_name,
        "phone_number": phone_number or "",
        "birth_date": birth_date,
        "notification_settings": notification_settings or {},
    }
    try:
        with transaction.atomic():
            user = audited_create(
                ctx,
                User,
                values=values,
                roles=None,
                audit_values={"email": email, "username": username, "channel": channel},
            )
            if avatar is not None:
                user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=True)
    except IntegrityError:
        raise Conflict("Username or email already exists") from None
    emails.send_email_confirmation(user=user)
    return user


def pre_registration_create(ctx: WriteContext, *, email: str) -> PreRegistration:
    email = User.objects.normalize_email(email).strip().lower()
    taken = {"email": ["This e-mail address is already pre-registered."]}
    if PreRegistration.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(field_errors=taken)
    try:
        with transaction.atomic():
            return audited_create(ctx, PreRegistration, values={"email": email}, roles=None)
    except IntegrityError:
        raise ValidationFailed(field_errors=taken) from None
