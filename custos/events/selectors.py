"""Reads for the real-time layer: who a token belongs to, and which groups a subscription joins."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from custos.events.services import validate_topic
from custos.identity.authentication import CustosJWTAuthentication
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.models import Membership
from custos.orgs.selectors import platform_role

ACCESS_COOKIE = "access_token_cookie"


def token_from_handshake(
    *, auth: Any = None, query_string: str = "", authorization: str = "", cookie_header: str = ""
) -> str:
    """The JWT a client presented: ``auth.token``, ``?token=``, ``Authorization: Bearer|Token`` or the cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return auth["token"]
    values = parse_qs(query_string or "").get("token")
    if values and values[0]:
        return values[0]
    scheme, _, credential = (authorization or "").partition(" ")
    if scheme in ("Bearer", "Token") and credential.strip():
        return credential.strip()
    if cookie_header:
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except Exception:
            return ""
        morsel = cookies.get(ACCESS_COOKIE)
        if morsel is not None and morsel.value:
            return morsel.value
    return ""


def user_for_token(*, token: str) -> Any | None:
    """The active user an access token belongs to, or ``None`` (bad, expired or revoked token, or a token
    whose session was ended: the same checks as the API's bearer authentication)."""
    if not token:
        return None
    authentication = CustosJWTAuthentication()
    try:
        validated = authentication.get_validated_token(token.encode())
        user = authentication.get_user(validated)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None
    if not user.is_active:
        return None
    valid_after = getattr(user, "tokens_valid_after", None)
    issued_at = validated.get("iat")
    if valid_after is not None and (issued_at is None or issued_at < valid_after.timestamp()):
        return None
    return user


def user_role(*, user: Any) -> str:
    """The twin API's coarse role (one definition: ``custos.orgs.selectors.platform_role``)."""
    return platform_role(user=user)


def subscription_groups(*, user: Any, topic: str) -> list[str]:
    """Groups a subscription of ``user`` to ``topic`` joins: the topic in each of their organizations,
    the admin-only variant where they are an admin, and their own private one."""
    validate_topic(topic)
    groups: list[str] = []
    rows = Membership.objects.filter(user=user, organization__is_active=True).values_list("organization_id", "role")
    for organization_id, role in rows:
        groups.append(f"org.{organization_id}.{topic}")
        if role in ADMIN_ROLES:
            groups.append(f"org.{organization_id}.{topic}.admins")
    groups.append(f"user.{user.pk}.{topic}")
    return groups


def active_organization_ids(*, user: Any) -> list[Any]:
    """The active organizations ``user`` is a member of (what ``request_data`` answers over)."""
    return list(
        Membership.objects.filter(user=user, organization__is_active=True)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )


def stream_organizations(*, user: Any, device_id: str) -> list[Any]:
    """The organizations of ``user`` that have a device ``device_id`` (empty: the stream is refused;
    another organization's device is never revealed)."""
    from custos.devices.models import Device

    return list(
        Device.objects.filter(organization_id__in=active_organization_ids(user=user), device_id=device_id)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
