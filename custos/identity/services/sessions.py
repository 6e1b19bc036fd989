"""Sessions and token families: login, refresh (rotation with reuse detection), logout, revocation.

Every login opens an ``AuthSession``; its tokens carry its id. A refresh rotates the token: the one
presented is blacklisted and a new pair of the same session issued, exactly once however many
requests present it at the same time (the session row is locked and the blacklist entry is unique).
A rotated refresh token presented again within ``JWT_REUSE_LEEWAY_SECONDS`` (default 30) of its
rotation is refused and the session survives (two tabs refreshing at once); later, it is taken for a
stolen token and the whole session is revoked.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from custos.audit.services import audit_record
from custos.audit.writes import audited_update
from custos.identity.errors import CsrfFailed, TokenInvalid
from custos.identity.models import AuthSession
from custos.identity.services._base import User, acting_as
from custos.identity.services.devices import describe_user_agent, record_login_device
from custos.identity.tokens import (
    CSRF_CLAIM,
    SESSION_CLAIM,
    VERSION_CLAIM,
    TokenPair,
    decode,
    new_refresh_token,
    pair_for,
    refresh_lifetime_seconds,
)
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound

REUSED = "Token is blacklisted"


def reuse_leeway_seconds() -> int:
    return int(getattr(settings, "JWT_REUSE_LEEWAY_SECONDS", 30))


def session_start(ctx: WriteContext, *, user: Any, device_name: str = "", channel: str = "") -> TokenPair:
    """Open a session for an authenticated user: tokens, the logged device, ``last_login``, audit."""
    ctx = acting_as(ctx, user)
    now = timezone.now()
    with transaction.atomic():
        session = AuthSession.objects.create(
            user=user,
            device_name=(device_name or describe_user_agent(ctx.user_agent)[1])[:150],
            ip_address=ctx.client_ip,
            user_agent=ctx.user_agent[:512],
            expires_at=now + timedelta(seconds=refresh_lifetime_seconds()),
            last_used_at=now,
        )
        refresh = new_refresh_token(user=user, session_id=str(session.pk))
        device = record_login_device(ctx, user=user, device_name=device_name, now=now)
        User.objects.filter(pk=user.pk).update(last_login=now)
        audit_record(
            ctx,
            action="LOGIN",
            resource_type="Session",
            resource_id=session.pk,
            resource_name=session.device_name,
            changes={"channel": channel, "device": str(device.pk)},
        )
    return pair_for(refresh)


def _live(session: AuthSession | None) -> bool:
    return session is not None and session.revoked_at is None and session.expires_at > timezone.now()


def _revoke(session: AuthSession, reason: str) -> None:
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])


def _reused(ctx: WriteContext, session: AuthSession | None, rotated: BlacklistedToken) -> None:
    """A blacklisted refresh token was presented: within the leeway only refused, later the whole
    session is revoked (theft detection)."""
    if session is None or session.revoked_at is not None:
        return
    ctx = acting_as(ctx, session.user)
    age = (timezone.now() - rotated.blacklisted_at).total_seconds()
    within_leeway = age <= reuse_leeway_seconds()
    if not within_leeway:
        _revoke(session, "refresh_reuse")
    audit_record(
        ctx,
        action="REFRESH" if within_leeway else "TOKEN_REUSE",
        resource_type="Session",
        resource_id=session.pk,
        resource_name=session.device_name,
        changes={"rotated_seconds_ago": round(age, 3)},
        success=False,
        error_message="a rotated refresh token was presented again"
        + (" within the leeway; session kept" if within_leeway else "; session revoked"),
    )


def session_refresh(ctx: WriteContext, *, raw_refresh: str, csrf: str | None = None) -> TokenPair:
    """Rotate a refresh token (see the module's docstring). ``csrf``, when given, must equal the
    token's CSRF claim (cookie clients)."""
    claims = decode(raw_refresh)
    if claims.get("token_type") != "refresh":
        raise TokenInvalid()
    if csrf is not None and not secrets.compare_digest(str(claims.get(CSRF_CLAIM, "")), csrf):
        raise CsrfFailed()
    jti = claims.get("jti")
    session_id = claims.get(SESSION_CLAIM)
    refused: str | None = None
    pair: TokenPair | None = None
    with transaction.atomic():
        # The session row (or, for a token without one, its outstanding row) serialises rotations.
        session = (
            AuthSession.objects.select_for_update(of=("self",)).filter(pk=session_id).first() if session_id else None
        )
        OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=jti).values_list("pk", flat=True).first()
        rotated = BlacklistedToken.objects.filter(token__jti=jti).first()
        user_id: Any = claims.get("user_id")  # whatever the (verified) token carries
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if rotated is not None:
            _reused(ctx, session, rotated)
            refused = REUSED
        elif user is None or claims.get(VERSION_CLAIM, 0) != user.token_version or (session_id and not _live(session)):
            refused = TokenInvalid.default_message
        else:
            try:
                # simplejwt annotates the encoded JWT string as its ``Token`` class, and ``outstand()`` as an
                # OutstandingToken, while the blacklist app's returns ``get_or_create``'s (row, created).
                refresh = RefreshToken(raw_refresh)  # type: ignore[arg-type]
                presented, _ = cast("tuple[OutstandingToken, bool]", refresh.outstand())
                with transaction.atomic():
                    BlacklistedToken.objects.create(token=presented)
            except (IntegrityError, TokenError):
                refused = REUSED  # a concurrent request rotated it first
            else:
                refresh.set_jti()
                refresh.set_exp()
                refresh.set_iat()
                refresh.outstand()
                if session is not None:
                    session.last_used_at = timezone.now()
                    session.expires_at = timezone.now() + timedelta(seconds=refresh_lifetime_seconds())
                    session.save(update_fields=["last_used_at", "expires_at"])
                audit_record(
                    acting_as(ctx, user),
                    action="REFRESH",
                    resource_type="Session",
                    resource_id=session.pk if session else "",
                    resource_name=session.device_name if session else "",
                )
                pair = pair_for(refresh)
    if refused is not None or pair is None:
        raise TokenInvalid(refused or TokenInvalid.default_message)
    return pair


def session_logout(ctx: WriteContext, *, raw_refresh: str = "", session_id: str = "") -> None:
    """Blacklist the refresh token and revoke its session (either may be given). A caller who is
    logged in (``ctx.user``) may only end their own sessions."""
    user = ctx.user
    outstanding = None
    if raw_refresh:
        claims = decode(raw_refresh)
        if claims.get("token_type") != "refresh":
            raise TokenInvalid()
        if user is not None and str(claims.get("user_id")) != str(user.pk):
            raise TokenInvalid()
        session_id = session_id or str(claims.get(SESSION_CLAIM, ""))
        outstanding = OutstandingToken.objects.filter(jti=claims.get("jti")).first()
        claimed_user_id: Any = claims.get("user_id")
        user = user or User.objects.filter(pk=claimed_user_id).first()
    if user is None and not session_id:
        return
    with transaction.atomic():
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        session = AuthSession.objects.filter(pk=session_id).first() if session_id else None
        if session is not None and user is not None and session.user_id != user.pk:
            session = None
        if session is not None and session.revoked_at is None:
            _revoke(session, "logout")
        audit_record(
            acting_as(ctx, user or (session.user if session else None)),
            action="LOGOUT",
            resource_type="Session",
            resource_id=session.pk if session else "",
            resource_name=session.device_name if session else "",
        )


def session_revoke(ctx: WriteContext, *, session_id: Any) -> AuthSession:
    """Revoke one of the caller's sessions (another user's is a 404)."""
    session = AuthSession.objects.filter(pk=session_id, user=ctx.user).first() if ctx.user else None
    if session is None:
        raise NotFound("Session not found.")
    values = {} if session.revoked_at else {"revoked_at": timezone.now(), "revoked_reason": "revoked"}
    return audited_update(ctx, session, values=values, action="REVOKE", roles=None)


def sessions_revoke_all(ctx: WriteContext, *, user: Any, reason: str = "logout_everywhere") -> int:
    """Log out everywhere: every session revoked, every outstanding refresh token blacklisted, and the
    token version raised so tokens carrying no session stop working too."""
    now = timezone.now()
    with transaction.atomic():
        count = AuthSession.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason
        )
        pending = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in pending])
        User.objects.filter(pk=user.pk).update(token_version=user.token_version + 1)
        user.token_version += 1
        audit_record(
            acting_as(ctx, user),
            action="REVOKE_ALL",
            resource_type="Session",
            resource_id=user.pk,
            resource_name=user.email,
            changes={"sessions_revoked": count, "reason": reason},
        )
    return count
