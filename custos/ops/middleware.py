"""Per-request monitoring: timing and status into the shared request metrics, server errors into the
``ErrorEvent`` table, and the ``X-RateLimit-*`` headers of throttled views."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from custos.ops.request_metrics import record_request

logger = logging.getLogger("custos.ops")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
MAX_ERRORS_PER_MINUTE = 120  # per process: an outage must not turn into a flood of inserts


def route_of(request: HttpRequest) -> str:
    """The matched route as a template (``api/organizations/{pk}/``), or ``<unmatched>``."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "<unmatched>"
    route = _GROUP.sub(lambda m: "{" + m.group(1) + "}", match.route)
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + route.lstrip("/")


class _ErrorBudget:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.minute = 0
        self.used = 0

    def take(self) -> bool:
        minute = int(time.time() // 60)
        with self.lock:
            if minute != self.minute:
                self.minute, self.used = minute, 0
            self.used += 1
            return self.used <= MAX_ERRORS_PER_MINUTE


_budget = _ErrorBudget()


def _record_error(request: HttpRequest, response: HttpResponse, route: str, ms: float) -> None:
    if not _budget.take():
        return
    exc_info = getattr(request, "_custos_exception", None)
    exception_type = message = trace = ""
    if exc_info is not None:
        exc_type, exc, tb = exc_info
        exception_type = f"{exc_type.__module__}.{exc_type.__qualname__}"
        message = str(exc)[:2000]
        trace = "".join(traceback.format_exception(exc_type, exc, tb))[-8000:]
    user: Any = getattr(request, "user", None)
    try:
        from custos.ops.models import ErrorEvent

        ErrorEvent.objects.create(
            method=request.method or "",
            path=request.path[:500],
            route=route[:300],
            status_code=response.status_code,
            exception_type=exception_type[:200],
            message=message or getattr(response, "reason_phrase", ""),
            traceback=trace,
            request_id=getattr(request, "request_id", "")[:128],
            user_id=str(user.pk) if getattr(user, "is_authenticated", False) else "",
            duration_ms=round(ms, 2),
        )
    except Exception:  # the database may be the cause of the error: log, never raise from here
        logger.exception("could not record a server error")


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        ms = (time.perf_counter() - started) * 1000
        route = route_of(request)
        try:
            record_request(request.method or "", route, response.status_code, ms)
        except Exception:
            logger.exception("could not record request metrics")
        if response.status_code >= 500:
            _record_error(request, response, route, ms)
        limits: Any = getattr(request, "_custos_rate_limit", None)
        if limits is not None:
            limit, remaining, reset = limits
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        # An ad-hoc attribute (read back by ``_record_error``), which HttpRequest does not declare.
        request._custos_exception = sys.exc_info()  # type: ignore[attr-defined]
        return None


# --- /metrics access -------------------------------------------------------------------------------

METRICS_PATHS = ("/metrics", "/metrics/")


def _allowed_networks() -> list[Any]:
    import ipaddress

    return [ipaddress.ip_network(value, strict=False) for value in settings.METRICS_ALLOWED_NETWORKS]


def metrics_allowed(request: HttpRequest) -> bool:
    """A caller from ``METRICS_ALLOWED_NETWORKS`` (default loopback), or one that sends
    ``Authorization: Bearer $METRICS_TOKEN`` when a token is configured."""
    import hmac
    import ipaddress

    from custos.kernel.context import client_ip

    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return True
    address = client_ip(request)
    if not address:
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in _allowed_networks())


class MetricsAccessMiddleware:
    """``/metrics`` (Prometheus text) answers only allowed callers; anyone else gets the same 404 as an
    unknown URL, so the endpoint is not advertised."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in METRICS_PATHS and not metrics_allowed(request):
            from custos.api.errors import handler404

            return handler404(request)
        return self.get_response(request)
