"""Identity reads: users, sessions, devices and API keys as their owner (or staff) may see them."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from custos.identity.errors import AuthenticationFailed
from custos.identity.models import ApiKey, AuthSession, LoggedDevice, PreRegistration
from custos.identity.tokens import hash_api_key
from custos.kernel.errors import PermissionDenied

User = get_user_model()


ACTIVE_MEMBERSHIPS = "active_memberships"  # prefetched for the attestation fields of user responses


def with_active_memberships(users: QuerySet) -> QuerySet:
    """``users`` with their memberships of active organizations prefetched (one query for the page)."""
    from custos.orgs.models import Membership

    active = Membership.objects.filter(organization__is_active=True)
    return users.prefetch_related(Prefetch("memberships", queryset=active, to_attr=ACTIVE_MEMBERSHIPS))


def user_list_visible(*, actor: Any) -> QuerySet:
    """Staff see every account; anyone else sees only their own."""
    users = with_active_memberships(User.objects.all().order_by("email"))
    return users if actor.is_staff else users.filter(pk=actor.pk)


def session_list_active(*, user: Any) -> QuerySet:
    return AuthSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def session_list(*, user: Any) -> QuerySet:
    return AuthSession.objects.filter(user=user)


def session_is_live(*, session_id: Any, user_id: Any) -> bool:
    return AuthSession.objects.filter(
        pk=session_id, user_id=user_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def logged_device_list(*, user: Any) -> QuerySet:
    return LoggedDevice.objects.filter(user=user)


def api_key_list(*, user: Any) -> QuerySet:
    return ApiKey.objects.filter(user=user)


def pre_registration_list() -> QuerySet:
    return PreRegistration.objects.all()


def api_key_authenticate(*, raw: str, ip: str | None, method: str) -> ApiKey:
    """The active key for ``raw`` usable from ``ip`` for ``method``.

    Unknown, revoked or expired keys are ``AuthenticationFailed`` (401); a valid key used from an
    address outside ``allowed_ips`` or for a write without the ``write`` scope is ``PermissionDenied``.
    """
    key = ApiKey.objects.select_related("user").filter(key_hash=hash_api_key(raw)).first()
    if key is None or not key.is_active or not key.user.is_active:
        raise AuthenticationFailed("Invalid API key.")
    if key.expires_at is not None and key.expires_at <= timezone.now():
        raise AuthenticationFailed("API key has expired.")
    if key.allowed_ips:
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError:
            address = None
        if address is None or not any(address in ipaddress.ip_network(net) for net in key.allowed_ips):
            raise PermissionDenied("This API key may not be used from this address.")
    safe = method.upper() in ("GET", "HEAD", "OPTIONS")
    allowed = {"read", "write"} if safe else {"write"}
    if not allowed & set(key.scopes):
        raise PermissionDenied(f"This API key's scopes ({', '.join(key.scopes)}) do not allow {method.upper()}.")
    return key
