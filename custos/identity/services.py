"""Identity writes: registration, login and sessions, tokens, recovery, devices, API keys.

Every function here that writes calls ``audit_record`` in the same transaction. Functions raise
``custos.kernel.errors`` / ``custos.identity.errors`` and never build responses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from custos.audit.services import audit_record, client_ip
from custos.identity import emails
from custos.identity.errors import AccountLocked, AuthenticationFailed, TokenInvalid
from custos.identity.models import (
    ApiKey,
    ApiKeyScope,
    AuthSession,
    DeviceType,
    LoggedDevice,
    LoginFailure,
    PreRegistration,
)
from custos.identity.tokens import (
    CSRF_CLAIM,
    SESSION_CLAIM,
    VERSION_CLAIM,
    TokenPair,
    decode,
    decode_uid,
    email_confirmation_tokens,
    hash_api_key,
    new_refresh_token,
    pair_for,
    password_reset_tokens,
    refresh_lifetime_seconds,
)
from custos.kernel.errors import Conflict, NotFound, ValidationFailed
from custos.ops.models import SystemSettings

logger = logging.getLogger("custos.identity")
User = get_user_model()

# Fields a user may change on their own profile. Clearance, staff and superuser flags, credits, the
# Stripe id and the confirmation state are never among them.
PROFILE_FIELDS = ("username", "first_name", "last_name", "phone_number", "birth_date", "notification_settings")


def _user_agent(request: Any) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:512]


def _password_errors(password: str, user: Any, field: str = "password") -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={field: list(exc.messages)}) from None


def _username_errors(username: str) -> None:
    try:
        User.username_validator(username)
    except DjangoValidationError as exc:
        raise ValidationFailed(field_errors={"username": list(exc.messages)}) from None


# --- Registration and profile -----------------------------------------------------------------


def user_register(
    *,
    email: str,
    username: str,
    password: str,
    request: Any = None,
    first_name: str = "",
    last_name: str = "",
    phone_number: str = "",
    birth_date: Any = None,
    notification_settings: dict[str, Any] | None = None,
    avatar: Any = None,
    channel: str = "",
) -> Any:
    """Create an active, unconfirmed account and send the address-confirmation e-mail.

    A duplicate e-mail or username is a ``Conflict`` (409); dialects that answer 400 check first.
    """
    email = User.objects.normalize_email(email).strip().lower()
    username = username.strip()
    _username_errors(username)
    candidate = User(email=email, username=username, first_name=first_name, last_name=last_name)
    _password_errors(password, candidate)
    duplicates: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email).exists():
        duplicates["email"] = ["A user with this e-mail address already exists."]
    if User.objects.filter(username__iexact=username).exists():
        duplicates["username"] = ["A user with this username already exists."]
    if duplicates:
        raise Conflict("Username or email already exists", field_errors=duplicates)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                username=username,
                password=password,
                first_name=first_name,
                last_name=last_name,
                phone_number=phone_number or "",
                birth_date=birth_date,
                notification_settings=notification_settings or {},
            )
            if avatar is not None:
                user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=True)
            audit_record(
                actor=user,
                action="auth.register",
                resource_type="user",
                resource_id=user.pk,
                resource_name=user.email,
                changes={"channel": channel},
                request=request,
            )
    except IntegrityError:
        raise Conflict("Username or email already exists") from None
    emails.send_email_confirmation(user=user)
    return user


def user_update(*, user: Any, actor: Any, data: dict[str, Any], request: Any = None) -> Any:
    """Change profile fields only (``PROFILE_FIELDS``); anything else in ``data`` is ignored."""
    changes: dict[str, Any] = {}
    for field in PROFILE_FIELDS:
        if field in data and getattr(user, field) != data[field]:
            changes[field] = {"old": getattr(user, field), "new": data[field]}
            setattr(user, field, data[field])
    if "username" in changes:
        _username_errors(user.username)
    if "username" in changes and User.objects.filter(username__iexact=user.username).exclude(pk=user.pk).exists():
        raise ValidationFailed(field_errors={"username": ["A user with this username already exists."]})
    if not changes:
        return user
    with transaction.atomic():
        user.save(update_fields=[*changes, "updated_at"])
        audit_record(
            actor=actor,
            action="user.update",
            resource_type="user",
            resource_id=user.pk,
            resource_name=user.email,
            changes=changes,
            request=request,
        )
    return user


def user_set_avatar(*, user: Any, avatar: Any, request: Any = None) -> Any:
    with transaction.atomic():
        old = user.avatar.name if user.avatar else ""
        user.avatar.save(f"{user.pk}-{avatar.name}", avatar, save=False)
        user.save(update_fields=["avatar", "updated_at"])
        audit_record(
            actor=user,
            action="user.avatar",
            resource_type="user",
            resource_id=user.pk,
            resource_name=user.email,
            changes={"avatar": {"old": old, "new": user.avatar.name}},
            request=request,
        )
    return user


def user_delete(*, user: Any, actor: Any, request: Any = None) -> None:
    """Delete the account; its sessions, devices and API keys go with it, so its tokens stop working."""
    try:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="user.delete",
                resource_type="user",
                resource_id=user.pk,
                resource_name=user.email,
                request=request,
            )
            user.delete()
    except ProtectedError:
        raise Conflict("This account still owns records that must be kept; deactivate it instead.") from None


def pre_registration_create(*, email: str, request: Any = None) -> PreRegistration:
    email = User.objects.normalize_email(email).strip().lower()
    if PreRegistration.objects.filter(email__iexact=email).exists():
        raise ValidationFailed(field_errors={"email": ["This e-mail address is already pre-registered."]})
    try:
        with transaction.atomic():
            entry = PreRegistration.objects.create(email=email)
            audit_record(
                actor=None,
                actor_type="anonymous",
                action="pre_register.create",
                resource_type="pre_registration",
                resource_id=entry.pk,
                resource_name=email,
                request=request,
            )
    except IntegrityError:
        raise ValidationFailed(field_errors={"email": ["This e-mail address is already pre-registered."]}) from None
    return entry


# --- Login, lockout ---------------------------------------------------------------------------


def _find_user(identifier: str) -> Any | None:
    return User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier)).first()


def login_authenticate(*, identifier: str, password: str, request: Any = None) -> Any:
    """The active user with these credentials, counting failures per (identifier, client address).

    After ``SystemSettings.failed_login_lockout`` failures the pair is locked for ``lockout_minutes``:
    every attempt, even with the right password, is refused (429) until then. The identifier is
    counted whether or not an account has it, so a lockout reveals nothing.
    """
    key = (identifier or "").strip().lower()[:254]
    ip = client_ip(request) or ""
    config = SystemSettings.load()
    now = timezone.now()
    record = LoginFailure.objects.filter(identifier=key, ip_address=ip).first()
    if record and record.locked_until and record.locked_until > now:
        retry_after = max(1, math.ceil((record.locked_until - now).total_seconds()))
        with transaction.atomic():
            audit_record(
                actor=None,
                actor_type="anonymous",
                action="auth.login_locked",
                resource_type="user",
                resource_name=key,
                request=request,
                success=False,
                error_message="account locked",
            )
        raise AccountLocked(extra={"retry_after": retry_after})
    user = _find_user(key) if key else None
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
            actor=None,
            actor_type="anonymous",
            action="auth.login_failed",
            resource_type="user",
            resource_id=user.pk if user else "",
            resource_name=key,
            changes={"failures": record.failures},
            request=request,
            success=False,
            error_message="invalid credentials",
        )
        if locked:
            audit_record(
                actor=None,
                actor_type="anonymous",
                action="auth.lockout",
                resource_type="user",
                resource_id=user.pk if user else "",
                resource_name=key,
                changes={"failures": record.failures, "locked_until": record.locked_until},
                request=request,
                success=False,
                error_message="too many failed logins",
            )
    raise AuthenticationFailed()


def describe_user_agent(user_agent: str) -> tuple[str, str]:
    """(device_type, a readable name) from a User-Agent header."""
    low = user_agent.lower()
    mobile = any(mark in low for mark in ("mobile", "android", "iphone", "ipad"))
    browser = next(
        (
            name
            for mark, name in (
                ("edg/", "Edge"),
                ("opr/", "Opera"),
                ("firefox/", "Firefox"),
                ("chrome/", "Chrome"),
                ("safari/", "Safari"),
                ("curl/", "curl"),
                ("python", "Python client"),
            )
            if mark in low
        ),
        "Unknown client",
    )
    system = next(
        (
            name
            for mark, name in (
                ("windows", "Windows"),
                ("android", "Android"),
                ("iphone", "iOS"),
                ("ipad", "iOS"),
                ("mac os x", "macOS"),
                ("linux", "Linux"),
            )
            if mark in low
        ),
        "",
    )
    return (DeviceType.MOBILE if mobile else DeviceType.DESKTOP), (f"{browser} on {system}" if system else browser)


def _record_device(*, user: Any, request: Any, device_name: str, now: datetime) -> LoggedDevice:
    device_type, derived = describe_user_agent(_user_agent(request))
    name = (device_name or derived)[:150]
    ip = client_ip(request)
    device, created = LoggedDevice.objects.get_or_create(
        user=user,
        device_type=device_type,
        device_name=name,
        defaults={"place": ip or "", "ip_address": ip, "user_agent": _user_agent(request), "last_login_at": now},
    )
    if not created:
        device.ip_address, device.user_agent, device.last_login_at = ip, _user_agent(request), now
        device.save(update_fields=["ip_address", "user_agent", "last_login_at", "updated_at"])
    return device


def session_start(*, user: Any, request: Any = None, device_name: str = "", channel: str = "") -> TokenPair:
    """Open a session for an authenticated user: tokens, the logged device, ``last_login``, audit."""
    now = timezone.now()
    with transaction.atomic():
        session = AuthSession.objects.create(
            user=user,
            device_name=(device_name or describe_user_agent(_user_agent(request))[1])[:150],
            ip_address=client_ip(request),
            user_agent=_user_agent(request),
            expires_at=now + timedelta(seconds=refresh_lifetime_seconds()),
            last_used_at=now,
        )
        refresh = new_refresh_token(user=user, session_id=str(session.pk))
        device = _record_device(user=user, request=request, device_name=device_name, now=now)
        User.objects.filter(pk=user.pk).update(last_login=now)
        audit_record(
            actor=user,
            action="auth.login",
            resource_type="session",
            resource_id=session.pk,
            resource_name=session.device_name,
            changes={"channel": channel, "device": str(device.pk)},
            request=request,
        )
    return pair_for(refresh)


def _live_session(session_id: str) -> AuthSession | None:
    return AuthSession.objects.filter(pk=session_id, revoked_at__isnull=True, expires_at__gt=timezone.now()).first()


def _revoke(session: AuthSession, reason: str) -> None:
    session.revoked_at = timezone.now()
    session.revoked_reason = reason
    session.save(update_fields=["revoked_at", "revoked_reason"])


def session_refresh(*, raw_refresh: str, request: Any = None, csrf: str | None = None) -> TokenPair:
    """Rotate a refresh token: the presented one is blacklisted and a new pair of the same session issued.

    A blacklisted (already rotated or logged-out) refresh token presented again revokes its whole
    session. ``csrf``, when given, must equal the token's CSRF claim (cookie clients).
    """
    claims = decode(raw_refresh)
    if claims.get("token_type") != "refresh":
        raise TokenInvalid()
    session_id = claims.get(SESSION_CLAIM)
    with transaction.atomic():
        session = AuthSession.objects.select_for_update().filter(pk=session_id).first() if session_id else None
        if BlacklistedToken.objects.filter(token__jti=claims.get("jti")).exists():
            if session is not None and session.revoked_at is None:
                _revoke(session, "refresh_reuse")
                audit_record(
                    actor=session.user,
                    action="auth.token_reuse",
                    resource_type="session",
                    resource_id=session.pk,
                    resource_name=session.device_name,
                    request=request,
                    success=False,
                    error_message="a rotated refresh token was presented again; session revoked",
                )
            reused = True
        else:
            reused = False
    if reused:
        raise TokenInvalid("Token is blacklisted")
    if csrf is not None and not secrets.compare_digest(str(claims.get(CSRF_CLAIM, "")), csrf):
        raise TokenInvalid("CSRF token missing or incorrect.")
    user = User.objects.filter(pk=claims.get("user_id"), is_active=True).first()
    if user is None or claims.get(VERSION_CLAIM, 0) != user.token_version:
        raise TokenInvalid()
    if session_id and (session is None or _live_session(session_id) is None):
        raise TokenInvalid()
    with transaction.atomic():
        refresh = RefreshToken(raw_refresh)
        refresh.blacklist()
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        if session is not None:
            session.last_used_at = timezone.now()
            session.expires_at = timezone.now() + timedelta(seconds=refresh_lifetime_seconds())
            session.save(update_fields=["last_used_at", "expires_at"])
        audit_record(
            actor=user,
            action="auth.refresh",
            resource_type="session",
            resource_id=session.pk if session else "",
            request=request,
        )
    return pair_for(refresh)


def session_logout(*, raw_refresh: str = "", session_id: str = "", actor: Any = None, request: Any = None) -> None:
    """Blacklist the refresh token and revoke its session (either may be given)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if raw_refresh:
        claims = decode(raw_refresh)
        if claims.get("token_type") != "refresh":
            raise TokenInvalid()
        if user is not None and str(claims.get("user_id")) != str(user.pk):
            raise TokenInvalid()
        session_id = session_id or str(claims.get(SESSION_CLAIM, ""))
        outstanding = OutstandingToken.objects.filter(jti=claims.get("jti")).first()
        user = user or User.objects.filter(pk=claims.get("user_id")).first()
    else:
        outstanding = None
    if user is None and not session_id:
        return
    with transaction.atomic():
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        session = AuthSession.objects.filter(pk=session_id).first() if session_id else None
        if session is not None and session.revoked_at is None:
            _revoke(session, "logout")
        audit_record(
            actor=user or (session.user if session else None),
            action="auth.logout",
            resource_type="session",
            resource_id=session.pk if session else "",
            request=request,
        )


def session_revoke(*, user: Any, session_id: Any, request: Any = None) -> AuthSession:
    session = AuthSession.objects.filter(pk=session_id, user=user).first()
    if session is None:
        raise NotFound("Session not found.")
    with transaction.atomic():
        if session.revoked_at is None:
            _revoke(session, "revoked")
        audit_record(
            actor=user,
            action="session.revoke",
            resource_type="session",
            resource_id=session.pk,
            resource_name=session.device_name,
            request=request,
        )
    return session


def sessions_revoke_all(*, user: Any, request: Any = None, reason: str = "logout_everywhere") -> int:
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
            actor=user,
            action="auth.logout_all",
            resource_type="user",
            resource_id=user.pk,
            resource_name=user.email,
            changes={"sessions_revoked": count, "reason": reason},
            request=request,
        )
    return count


# --- Passwords, e-mail confirmation -----------------------------------------------------------


def password_change(*, user: Any, current_password: str, new_password: str, request: Any = None) -> None:
    if not user.check_password(current_password or ""):
        raise ValidationFailed(field_errors={"current_password": ["Invalid password."]})
    _password_set(user=user, new_password=new_password, reason="password_change", request=request)


def _password_set(*, user: Any, new_password: str, reason: str, request: Any) -> None:
    """Validate and set a new password, audit it, and end every session of the user (one transaction)."""
    _password_errors(new_password, user, "new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        audit_record(
            actor=user,
            action=f"auth.{reason}",
            resource_type="user",
            resource_id=user.pk,
            resource_name=user.email,
            request=request,
        )
        sessions_revoke_all(user=user, request=request, reason=reason)


MAILS_PER_ADDRESS_PER_HOUR = 3


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


def password_reset_request(*, email: str, request: Any = None) -> None:
    """Send a reset link if an active account has this address; the caller answers the same either way."""
    user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_type="anonymous",
            action="auth.password_reset_request",
            resource_type="user",
            resource_id=user.pk if user else "",
            resource_name=(email or "")[:254],
            request=request,
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
        raise ValidationFailed(field_errors={"token": ["Invalid or expired token."]})
    return user


def password_reset_confirm(*, uid: str, token: str, new_password: str, request: Any = None) -> Any:
    """Set a new password with a reset token (single use: the token hashes the password it replaces)."""
    user = _user_from_uid(uid, token, password_reset_tokens)
    _password_set(user=user, new_password=new_password, reason="password_reset", request=request)
    return user


def email_confirmation_request(*, email: str, request: Any = None) -> None:
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_type="anonymous",
            action="auth.email_confirm_request",
            resource_type="user",
            resource_id=user.pk if user else "",
            resource_name=(email or "")[:254],
            request=request,
            success=user is not None,
        )
    if user is not None and not user.email_confirmed and _mail_allowed("confirm", user.email):
        emails.send_email_confirmation(user=user)


def email_confirm(*, uid: str, token: str, request: Any = None, activate: bool = True) -> Any:
    """Mark the address confirmed (and the account active: djoser's activation). Single use."""
    user = _user_from_uid(uid, token, email_confirmation_tokens)
    with transaction.atomic():
        user.email_confirmed = True
        if activate:
            user.is_active = True
        user.save(update_fields=["email_confirmed", "is_active", "updated_at"])
        audit_record(
            actor=user,
            action="auth.email_confirm",
            resource_type="user",
            resource_id=user.pk,
            resource_name=user.email,
            request=request,
        )
    return user


# --- Logged devices ---------------------------------------------------------------------------

DEVICE_FIELDS = ("device_type", "device_name", "place")


def _device_unique(user: Any, device_type: str, device_name: str, exclude: Any = None) -> None:
    clash = LoggedDevice.objects.filter(user=user, device_type=device_type, device_name=device_name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(
            field_errors={"non_field_errors": ["A device with this type and name is already registered."]}
        )


def logged_device_create(*, user: Any, data: dict[str, Any], request: Any = None) -> LoggedDevice:
    _device_unique(user, data["device_type"], data["device_name"])
    with transaction.atomic():
        device = LoggedDevice.objects.create(
            user=user,
            device_type=data["device_type"],
            device_name=data["device_name"],
            place=data.get("place", ""),
            last_login_at=data.get("last_login_at"),
        )
        audit_record(
            actor=user,
            action="device.create",
            resource_type="logged_device",
            resource_id=device.pk,
            resource_name=device.device_name,
            changes={field: getattr(device, field) for field in DEVICE_FIELDS},
            request=request,
        )
    return device


def logged_device_update(*, device: LoggedDevice, user: Any, data: dict[str, Any], request: Any = None) -> LoggedDevice:
    changes = {
        field: {"old": getattr(device, field), "new": data[field]}
        for field in (*DEVICE_FIELDS, "last_login_at")
        if field in data and getattr(device, field) != data[field]
    }
    _device_unique(
        user, data.get("device_type", device.device_type), data.get("device_name", device.device_name), device.pk
    )
    with transaction.atomic():
        for field, change in changes.items():
            setattr(device, field, change["new"])
        device.save()
        audit_record(
            actor=user,
            action="device.update",
            resource_type="logged_device",
            resource_id=device.pk,
            resource_name=device.device_name,
            changes=changes,
            request=request,
        )
    return device


def logged_device_delete(*, device: LoggedDevice, user: Any, request: Any = None) -> None:
    with transaction.atomic():
        audit_record(
            actor=user,
            action="device.delete",
            resource_type="logged_device",
            resource_id=device.pk,
            resource_name=device.device_name,
            request=request,
        )
        device.delete()


# --- API keys ---------------------------------------------------------------------------------

API_KEY_PREFIX = "ck_"


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    raw: str


def _normalise_networks(values: list[str]) -> list[str]:
    networks, bad = [], []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(str(value).strip(), strict=False)))
        except ValueError:
            bad.append(str(value))
    if bad:
        raise ValidationFailed(field_errors={"allowed_ips": [f"Not an IP address or network: {', '.join(bad)}."]})
    return networks


def api_key_create(
    *,
    user: Any,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    allowed_ips: list[str] | None = None,
    request: Any = None,
) -> IssuedApiKey:
    known = set(ApiKeyScope.values)
    if not scopes or any(scope not in known for scope in scopes):
        raise ValidationFailed(field_errors={"scopes": [f"Choose among: {', '.join(sorted(known))}."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(field_errors={"expires_at": ["Must be in the future."]})
    networks = _normalise_networks(allowed_ips or [])
    raw = f"{API_KEY_PREFIX}{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            user=user,
            name=name,
            prefix=raw[:10],
            last_four=raw[-4:],
            key_hash=hash_api_key(raw),
            scopes=sorted(set(scopes)),
            allowed_ips=networks,
            expires_at=expires_at,
        )
        audit_record(
            actor=user,
            action="api_key.create",
            resource_type="api_key",
            resource_id=key.pk,
            resource_name=name,
            changes={"scopes": key.scopes, "allowed_ips": networks, "expires_at": expires_at},
            request=request,
        )
    return IssuedApiKey(key, raw)


def api_key_revoke(*, user: Any, key_id: Any, request: Any = None) -> ApiKey:
    key = ApiKey.objects.filter(pk=key_id, user=user).first()
    if key is None:
        raise NotFound("API key not found.")
    with transaction.atomic():
        if key.is_active:
            key.is_active = False
            key.revoked_at = timezone.now()
            key.save(update_fields=["is_active", "revoked_at"])
        audit_record(
            actor=user,
            action="api_key.revoke",
            resource_type="api_key",
            resource_id=key.pk,
            resource_name=key.name,
            request=request,
        )
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Note the key's use (at most once a minute: not a write worth auditing)."""
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


# --- Housekeeping -----------------------------------------------------------------------------


def credentials_purge_expired(*, keep_days: int = 30) -> dict[str, int]:
    """Delete what can no longer be used: expired blacklist/outstanding tokens, sessions ended or
    expired more than ``keep_days`` ago, and failure counters whose cool-off is long over. Idempotent.

    Not audited: it removes no live credential, only records that no request can use any more.
    """
    now = timezone.now()
    horizon = now - timedelta(days=keep_days)
    config = SystemSettings.load()
    stale_failures = now - timedelta(minutes=config.lockout_minutes) - timedelta(days=1)
    with transaction.atomic():
        _, tokens = OutstandingToken.objects.filter(expires_at__lt=now).delete()
        sessions, _ = AuthSession.objects.filter(Q(expires_at__lt=horizon) | Q(revoked_at__lt=horizon)).delete()
        failures, _ = (
            LoginFailure.objects.filter(last_failure_at__lt=stale_failures)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .delete()
        )
    return {
        "tokens": tokens.get("token_blacklist.OutstandingToken", 0),
        "sessions": sessions,
        "login_failures": failures,
    }
