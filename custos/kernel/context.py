"""The write context: who is writing, into which organization, from where.

Every service that writes takes one ``WriteContext`` as its first argument (``ctx``). Views build it
once per request (``custos.api.resources``: ``self.ctx``); tasks and commands use
``WriteContext.system()``. No service takes the HTTP request, so the same service serves a view, a
task, a WebSocket consumer and a management command alike.

The actor is exactly one of: a user (logged in with a token, a cookie or a session), an API key (the
user it belongs to acts, the key is named in the audit row), a device (its own credential), or the
platform itself (``system``: scheduled work, migrations, demo data).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from custos.identity.models import ApiKey, User


def client_ip(request: Any) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` hop written by our own proxies
    when ``TRUSTED_PROXY_COUNT`` says how many there are (a client cannot forge it then)."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    candidate = meta.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class WriteContext:
    """Who writes and from where. ``user`` is the person answerable for the write (for an API key, its
    owner); ``api_key`` / ``device`` name the credential used; all three ``None`` is the platform."""

    user: User | None = None
    api_key: ApiKey | None = None
    device: Any = None
    organization_id: Any = None
    client_ip: str | None = None
    user_agent: str = ""
    request_id: str = ""
    from_http: bool = False  # built from a request: no user there means an anonymous caller

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def system(cls, *, organization_id: Any = None) -> WriteContext:
        """The platform itself (scheduled tasks, demo loaders, migrations)."""
        return cls(organization_id=organization_id)

    @classmethod
    def for_user(cls, user: Any, *, organization_id: Any = None) -> WriteContext:
        """A user acting outside an HTTP request (a command, a test, a consumer after its handshake)."""
        return cls(user=user if getattr(user, "is_authenticated", False) else None, organization_id=organization_id)

    @classmethod
    def from_request(cls, request: Any, *, organization_id: Any = None) -> WriteContext:
        """Built once per request from what the authenticators left on it (``request.auth`` is the
        API key when one was used)."""
        from custos.identity.models import ApiKey

        user = getattr(request, "user", None)
        auth = getattr(request, "auth", None)
        meta = getattr(request, "META", {})
        return cls(
            user=user if getattr(user, "is_authenticated", False) else None,
            api_key=auth if isinstance(auth, ApiKey) else None,
            device=getattr(request, "device", None),
            organization_id=organization_id,
            client_ip=client_ip(request),
            user_agent=str(meta.get("HTTP_USER_AGENT", ""))[:1000],
            request_id=str(getattr(request, "request_id", "") or ""),
            from_http=True,
        )

    def within(self, organization_id: Any) -> WriteContext:
        """The same actor writing into ``organization_id``."""
        if organization_id == self.organization_id:
            return self
        return replace(self, organization_id=organization_id)

    # --- the audit row's actor ------------------------------------------------------------------

    @property
    def is_system(self) -> bool:
        """The platform itself: no user, no device, not an (anonymous) HTTP caller."""
        return self.user is None and self.device is None and not self.from_http

    @property
    def actor_type(self) -> str:
        if self.device is not None:
            return "device"
        if self.api_key is not None:
            return "api_key"
        if self.user is not None:
            return "user"
        return "anonymous" if self.from_http else "system"

    @property
    def actor_id(self) -> str:
        if self.device is not None:
            return str(self.device.pk)
        return str(self.user.pk) if self.user is not None else ""

    @property
    def actor_label(self) -> str:
        if self.device is not None:
            return str(self.device)[:255]
        if self.user is None:
            return ""
        label = str(self.user)
        if self.api_key is not None:
            label = f"{label} (API key {getattr(self.api_key, 'prefix', '') or self.api_key.pk})"
        return label[:255]
