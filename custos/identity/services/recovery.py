"""Passwords and address confirmation: change, reset by mail, confirmation by mail.

Recovery answers the same whether or not the address exists, and one address gets at most
``MAILS_PER_ADDRESS_PER_HOUR`` mails of a kind an hour, whoever asks. Tokens are single use and expire.
An inactive account (deactivated by staff) is never confirmed nor re-activated by a link.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from custos.audit.services import audit_record
from custos.audit.writes import audited_update
from custos.identity import emails
from custos.identity.services._base import User, acting_as, password_errors, refuse_api_key_on_owner
from custos.identity.services.sessions import sessions_revoke_all
from custos.identity.tokens import decode_uid, email_confirmation_tokens, password_reset_tokens
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

MAILS_PER_ADDRESS_PER_HOUR = 3
INVALID_TOKEN = {"token": ["Invalid or expired token."]}


def password_change(ctx: WriteContext, *, user: Any, current_password: str, new_password: str) -> None:
    refuse_api_key_on_owner(ctx, user)
    if not user.check_password(current_password or ""):
        raise ValidationFailed(field_errors={"current_password": ["Invalid password."]})
    _password_set(ctx, user=user, new_password=new_password, action="PASSWORD_CHANGE", reason="password_change")


def _password_set(ctx: WriteContext, *, user: Any, new_password: str, action: str, reason: str) -> None:
    """Validate and set a new password, audit it, and end every session of the user (one transaction)."""
    password_errors(new_password, user, "new_password")
    ctx = acting_as(ctx, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        audit_record(ctx, action=action, resource_type="User", resource_id=user.pk, resource_name=user.email)
        sessions_revoke_all(ctx, user=user, reason=reason)


def _mail_allowed(kind: str, email: str) -> bool:
    """At most ``MAILS_PER_ADDRESS_PER_HOUR`` account mails of a kind to one address, whatever the
    callers' addresses (no inbox flooding); beyond it nothing is sent and the answer stays the same."""
    key = f"custos:identity:mail:{kind}:{hashlib.sha256(email.lower().encode()).hexdigest()}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= MAILS_PER_ADDRESS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return True


def password_reset_request(ctx: WriteContext, *, email: str) -> None:
    """Send a reset link if an active account has this address; the caller answers the same either way."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    with transaction.atomic():
        audit_record(
            ctx,
            action="PASSWORD_RESET_REQUEST",
            resource_type="User",
            resource_id=user.pk if user else "",
            resource_name=(email or "")[:254],
            success=user is not None,
        )
    if user is not None and _mail_allowed("reset", user.email):
        emails.send_password_reset(user=user)


def _user_from_uid(uid: str, token: str, generator: Any) -> Any:
    user_id = decode_uid(uid or "")
    user = None
    if user_id:
        try:
            user = User.objects.filter(pk=user_id).first()
        except (ValueError, DjangoValidationError):
            user = None
    if user is None or not generator.check_token(user, token or ""):
        raise ValidationFailed(field_errors=INVALID_TOKEN)
    return user


def password_reset_confirm(ctx: WriteContext, *, uid: str, token: str, new_password: str) -> Any:
    """Set a new password with a reset token (single use: the token hashes the password it replaces)."""
    user = _user_from_uid(uid, token, password_reset_tokens)
    if not user.is_active:
        raise ValidationFailed(field_errors=INVALID_TOKEN)
    _password_set(ctx, user=user, new_password=new_password, action="PASSWORD_RESET", reason="password_reset")
    return user


def email_confirmation_request(ctx: WriteContext, *, email: str) -> None:
    """Send a confirmation link to an active, unconfirmed account; the answer is the same either way."""
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    with transaction.atomic():
        audit_record(
            ctx,
            action="EMAIL_CONFIRM_REQUEST",
            resource_type="User",
            resource_id=user.pk if user else "",
            resource_name=(email or "")[:254],
            success=user is not None,
        )
    if user is not None and user.is_active and not user.email_confirmed and _mail_allowed("confirm", user.email):
        emails.send_email_confirmation(user=user)


def email_confirm(ctx: WriteContext, *, uid: str, token: str) -> Any:
    """Mark the address confirmed. Single use. Registration leaves every account active, so an
    inactive account is one staff deactivated: its links are refused and it stays inactive (only
    staff re-activate an account)."""
    user = _user_from_uid(uid, token, email_confirmation_tokens)
    if not user.is_active:
        raise ValidationFailed(field_errors=INVALID_TOKEN)
    return audited_update(
        acting_as(ctx, user), user, values={"email_confirmed": True}, action="EMAIL_CONFIRM", roles=None
    )
