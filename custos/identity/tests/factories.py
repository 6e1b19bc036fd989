"""Test builders for users and their credentials (plain functions: see ``tests/factories.py``).

Rows are written directly, not through the identity services, so building a fixture never adds an
audit row, an event or a logged device that a test would then have to discount.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from custos.identity.models import ApiKey, ApiKeyScope, AuthSession
from custos.identity.tokens import TokenPair, hash_api_key, new_refresh_token, pair_for, refresh_lifetime_seconds

PASSWORD = "correct-horse-battery-staple"
API_KEY_PREFIX = "ck_"  # as custos.identity.services issues them

_sequence = itertools.count(1)


def user(
    email: str | None = None,
    *,
    password: str = PASSWORD,
    organization: Any = None,
    role: str = "MEMBER",
    **values: Any,
) -> Any:
    """A saved, active user (password ``PASSWORD``); with ``organization`` also a membership with ``role``."""
    from custos.orgs.tests.factories import membership

    email = email or f"user{next(_sequence)}@example.org"
    values.setdefault("username", email.split("@")[0])
    created = get_user_model().objects.create_user(email=email, password=password, **values)
    if organization is not None:
        membership(user=created, organization=organization, role=role)
    return created


def api_key(
    owner: Any,
    *,
    name: str = "test key",
    scopes: tuple[str, ...] = (ApiKeyScope.READ, ApiKeyScope.WRITE),
    allowed_ips: tuple[str, ...] = (),
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A live API key of ``owner`` and its raw value (send it as ``Authorization: ApiKey <raw>``)."""
    raw = f"{API_KEY_PREFIX}{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        user=owner,
        name=name,
        prefix=raw[:10],
        last_four=raw[-4:],
        key_hash=hash_api_key(raw),
        scopes=sorted(set(scopes)),
        allowed_ips=list(allowed_ips),
        expires_at=expires_at,
    )
    return key, raw


def auth_session(owner: Any, *, device_name: str = "pytest", expires_in: timedelta | None = None) -> TokenPair:
    """A live login session of ``owner`` and its token pair (``sid`` claim set, as a real login issues)."""
    now = timezone.now()
    session = AuthSession.objects.create(
        user=owner,
        device_name=device_name,
        expires_at=now + (expires_in or timedelta(seconds=refresh_lifetime_seconds())),
        last_used_at=now,
    )
    return pair_for(new_refresh_token(user=owner, session_id=str(session.pk)))


def api_client_for(owner: Any, *, scheme: str = "Bearer", session: bool = False) -> APIClient:
    """An ``APIClient`` authenticated as ``owner`` with an access token in ``Authorization``.

    By default the token carries no session (no session lookup per request, so query counts measure
    the view alone); ``session=True`` issues it from a real ``AuthSession`` as a login would.
    """
    if session:
        access = auth_session(owner).access
    else:
        from rest_framework_simplejwt.tokens import RefreshToken

        access = str(RefreshToken.for_user(owner).access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {access}")
    return client


def api_key_client(raw: str) -> APIClient:
    """An ``APIClient`` sending the raw API key ``raw``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw}")
    return client
