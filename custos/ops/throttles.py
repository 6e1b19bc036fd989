"""Request throttling from the settings record (``SystemSettings.api_rate_limit`` requests per hour).

A fixed one-hour window per caller (user, else client IP) counted in the shared cache, so every server
process enforces the same limit. The figures are left on the request for the ``X-RateLimit-*``
headers (``custos.ops.middleware``).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from custos.kernel.context import client_ip

WINDOW_SECONDS = 3600


def _count(key: str, timeout: int) -> int:
    """Add one to the window's counter and return it: one atomic increment once the counter exists."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request (or the counter expired): create it, then count
        pass
    cache.add(key, 0, timeout=timeout)  # only one process's add succeeds; every increment counts
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


class WindowThrottle(BaseThrottle):
    """``limit()`` requests per ``window`` seconds per caller."""

    window = WINDOW_SECONDS
    scope = "api"

    def limit(self) -> int:
        raise NotImplementedError

    def ident(self, request: Any) -> str:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return f"user:{user.pk}"
        return f"ip:{client_ip(request) or 'unknown'}"

    def allow_request(self, request: Any, view: Any) -> bool:
        now = time.time()
        start = int(now // self.window) * self.window
        self.reset_at = start + self.window
        self.now = now
        limit = self.limit()
        count = _count(f"custos:throttle:{self.scope}:{self.ident(request)}:{start}", self.window + 60)
        remaining = max(0, limit - count)
        raw = getattr(request, "_request", request)
        shown = getattr(raw, "_custos_rate_limit", None)
        if shown is None or remaining < shown[1]:  # several limits: the headers show the tightest
            raw._custos_rate_limit = (limit, remaining, self.reset_at)
        return count <= limit

    def wait(self) -> float:
        return max(1.0, self.reset_at - self.now)


class SettingsRateThrottle(WindowThrottle):
    """The platform rate limit of the settings record, per hour."""

    scope = "api"

    def limit(self) -> int:
        from custos.ops.models import SystemSettings

        return SystemSettings.load().api_rate_limit


class SystemMetricsThrottle(WindowThrottle):
    """``/api/system_metrics``: 120 requests per minute (the twin document)."""

    scope = "system-metrics"
    window = 60

    def limit(self) -> int:
        return 120


class EnginelCallerMixin:
    """The enginel document limits each user or API key (a key counts apart from its owner's logins)."""

    def ident(self, request: Any) -> str:
        from custos.identity.models import ApiKey

        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiKey):
            return f"key:{auth.pk}"
        return super().ident(request)  # type: ignore[misc]


class EnginelHourlyThrottle(EnginelCallerMixin, WindowThrottle):
    """1000 requests per hour (the enginel document; ``ENGINEL_RATE_LIMIT_PER_HOUR``)."""

    scope = "enginel-hour"

    def limit(self) -> int:
        return int(settings.ENGINEL_RATE_LIMIT_PER_HOUR)


class EnginelBurstThrottle(EnginelCallerMixin, WindowThrottle):
    """100 requests per minute (the enginel document's burst limit; ``ENGINEL_RATE_LIMIT_PER_MINUTE``)."""

    scope = "enginel-minute"
    window = 60

    def limit(self) -> int:
        return int(settings.ENGINEL_RATE_LIMIT_PER_MINUTE)


class EnginelUploadThrottle(EnginelCallerMixin, WindowThrottle):
    """50 uploads per hour: counts only the actions a view names in ``upload_actions``."""

    scope = "enginel-upload"

    def limit(self) -> int:
        return 50

    def allow_request(self, request: Any, view: Any) -> bool:
        if getattr(view, "action", None) not in getattr(view, "upload_actions", ()):
            return True
        return super().allow_request(request, view)


ENGINEL_THROTTLES = (EnginelHourlyThrottle, EnginelBurstThrottle, EnginelUploadThrottle)
