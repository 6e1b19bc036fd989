"""API keys: issued to the caller (shown once), revoked by their owner, noted when used."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from custos.audit.writes import audited_create, audited_update
from custos.identity.models import ApiKey, ApiKeyScope
from custos.identity.tokens import hash_api_key
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound, ValidationFailed

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
    ctx: WriteContext,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    allowed_ips: list[str] | None = None,
) -> IssuedApiKey:
    """A new key of the caller (``ctx.user``); the raw key exists only in the answer."""
    known = set(ApiKeyScope.values)
    if not scopes or any(scope not in known for scope in scopes):
        raise ValidationFailed(field_errors={"scopes": [f"Choose among: {', '.join(sorted(known))}."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(field_errors={"expires_at": ["Must be in the future."]})
    networks = _normalise_networks(allowed_ips or [])
    raw = f"{API_KEY_PREFIX}{secrets.token_urlsafe(32)}"
    values: dict[str, Any] = {
        "user": ctx.user,
        "name": name,
        "prefix": raw[:10],
        "last_four": raw[-4:],
        "key_hash": hash_api_key(raw),
        "scopes": sorted(set(scopes)),
        "allowed_ips": networks,
        "expires_at": expires_at,
    }
    audit_values = {"name": name, "scopes": values["scopes"], "allowed_ips": networks, "expires_at": expires_at}
    key = audited_create(ctx, ApiKey, values=values, roles=None, audit_values=audit_values)
    return IssuedApiKey(key, raw)


def api_key_revoke(ctx: WriteContext, *, key_id: Any) -> ApiKey:
    """Deactivate one of the caller's keys (another user's is a 404)."""
    key = ApiKey.objects.filter(pk=key_id, user=ctx.user).first() if ctx.user else None
    if key is None:
        raise NotFound("API key not found.")
    values = {"is_active": False, "revoked_at": timezone.now()} if key.is_active else {}
    return audited_update(ctx, key, values=values, action="REVOKE", roles=None)


def api_key_touch(*, key: ApiKey) -> None:
    """Note the key's use (at most once a minute: not a write worth auditing)."""
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
