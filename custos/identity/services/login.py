"""Checking credentials, counting failures and locking accounts out.

Failures are counted per account and client address: whatever identifier names the account (its
e-mail address or its username, in any letter case), the same counter applies. An identifier that
names no account is counted by itself, so a lockout reveals nothing about which accounts exist.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.audit.services import audit_record
from custos.identity.errors import AccountLocked, AuthenticationFailed
from custos.identity.models import LoginFailure
from custos.identity.services._base import User
from custos.kernel.context import WriteContext
from custos.ops.models import SystemSettings


def find_account(identifier: str) -> Any | None:
    """The account an identifier names: by e-mail address first, then by username (any letter case)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return (
        User.objects.filter(email__iexact=identifier).first()
        or User.objects.filter(username__iexact=identifier).first()
    )


def failure_key(identifier: str, user: Any | None) -> str:
    """The counter's name: the account when there is one, else the submitted identifier."""
    if user is not None:
        return f"user:{user.pk}"
    return (identifier or "").strip().lower()[:254]


def login_authenticate(ctx: WriteContext, *, identifier: str, password: str) -> Any:
    """The active user with these credentials, counting failures per (account, client address).

    After ``SystemSettings.failed_login_lockout`` failures the pair is locked for ``lockout_minutes``:
    every attempt, even with the right password and whatever identifier names the account, is refused
    (429) until then.
    """
    submitted = (identifier or "").strip().lower()[:254]
    user = find_account(submitted)
    key = failure_key(submitted, user)
    ip = ctx.client_ip or ""
    config = SystemSettings.load()
    now = timezone.now()
    record = LoginFailure.objects.filter(identifier=key, ip_address=ip).first()
    if record and record.locked_until and record.locked_until > now:
        retry_after = max(1, math.ceil((record.locked_until - now).total_seconds()))
        with transaction.atomic():
            audit_record(
                ctx,
                action="LOGIN_LOCKED",
                resource_type="User",
                resource_id=user.pk if user else "",
                resource_name=submitted,
                success=False,
                error_message="account locked",
            )
        raise AccountLocked(extra={"retry_after": retry_after})
    if user is None:
        User().set_password(password or "")  # the same work as a real check: no timing oracle
        valid = False
    else:
        valid = user.check_password(password or "") and user.is_active
    if valid:
        if record:
            LoginFailure.objects.filter(pk=record.pk).delete()
        return user
    window = timedelta(minutes=config.lockout_minutes)
    with transaction.atomic():
        record, _ = LoginFailure.objects.select_for_update().get_or_create(
            identifier=key, ip_address=ip, defaults={"last_failure_at": now}
        )
        if record.failures and (record.locked_until or record.last_failure_at < now - window):
            record.failures, record.locked_until = 0, None  # the cool-off has passed: count afresh
        record.failures += 1
        record.last_failure_at = now
        locked = record.failures >= config.failed_login_lockout
        if locked:
            record.locked_until = now + window
        record.save()
        audit_record(
            ctx,
            action="LOGIN_FAILED",
            resource_type="User",
            resource_id=user.pk if user else "",
            resource_name=submitted,
            changes={"failures": record.failures},
            success=False,
            error_message="invalid credentials",
        )
        if locked:
            audit_record(
                ctx,
                action="LOCKOUT",
                resource_type="User",
                resource_id=user.pk if user else "",
                resource_name=submitted,
                changes={"failures": record.failures, "locked_until": record.locked_until},
                success=False,
                error_message="too many failed logins",
            )
    raise AuthenticationFailed()
