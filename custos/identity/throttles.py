"""Per-address throttles of the account routes, counted in the shared cache (every process sees them).

Rates: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` entries ``auth_login``, ``auth_register``,
``auth_recovery`` and ``auth_refresh``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import SimpleRateThrottle

from custos.kernel.context import client_ip


class _AddressThrottle(SimpleRateThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method == "OPTIONS":
            return True  # a description of the route: neither a login attempt nor a mail sent
        return super().allow_request(request, view)

    def get_ident(self, request: Any) -> str:
        # Not DRF's default, which believes any X-Forwarded-For: only our own proxies' hop counts.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(_AddressThrottle):
    scope = "auth_login"


class RegisterThrottle(_AddressThrottle):
    scope = "auth_register"


class RecoveryThrottle(_AddressThrottle):
    scope = "auth_recovery"


class RefreshThrottle(_AddressThrottle):
    scope = "auth_refresh"
