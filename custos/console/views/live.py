"""The access token the console's pages hand to the Socket.IO client (``custos.console.live``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from custos.console.live import socket_token
from custos.console.state import console_state


@never_cache
@require_GET
def live_token(request: HttpRequest) -> HttpResponse:
    """``{"token", "expires_in"}`` for a live console login, else 401 (the page keeps polling)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":  # only the console's own pages, even for CORS origins
        return JsonResponse({"detail": "Same-origin requests only."}, status=403)
    state = console_state(request)
    if state is None:
        return JsonResponse({"detail": "Log in to the console first."}, status=401)
    token, lifetime = socket_token(user=state.user, auth_session_id=state.auth_session_id)
    return JsonResponse({"token": token, "expires_in": lifetime})
