"""Shared pieces of the account views: the base view, cookies, permissions, the current session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import generics
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from custos.api.viewsets import DialectMixin
from custos.identity.authentication import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from custos.identity.models import ApiKey
from custos.identity.tokens import SESSION_CLAIM, TokenPair

REFRESH_COOKIE_PATH = "/api/auth"


class DialectGenericView(DialectMixin, generics.GenericAPIView):
    pass


class NotApiKey(BasePermission):
    """Managing credentials (sessions, API keys) needs a login, not an API key."""

    message = "Managing sessions and API keys requires a login token, not an API key."

    def has_permission(self, request: Any, view: Any) -> bool:
        return not isinstance(request.auth, ApiKey)


def current_session_id(request: Any) -> str | None:
    auth = request.auth
    if auth is None or isinstance(auth, ApiKey) or not hasattr(auth, "get"):
        return None
    value = auth.get(SESSION_CLAIM)
    return str(value) if value else None


def auth_type(request: Any) -> str:
    auth = request.auth
    if isinstance(auth, ApiKey):
        return "api_key"
    if auth is None:
        return "session"
    return "cookie" if request.COOKIES.get(ACCESS_COOKIE) and not request.META.get("HTTP_AUTHORIZATION") else "jwt"


def set_auth_cookies(response: Response, pair: TokenPair, request: Any) -> None:
    secure = request.is_secure() or settings.SESSION_COOKIE_SECURE
    common = {"samesite": "Lax", "secure": secure}
    response.set_cookie(ACCESS_COOKIE, pair.access, max_age=pair.expires_in, httponly=True, path="/", **common)
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh,
        max_age=pair.refresh_expires_in,
        httponly=True,
        path=REFRESH_COOKIE_PATH,
        **common,
    )
    # Readable by the page's script, which echoes it in X-CSRF-TOKEN (double submit).
    response.set_cookie(CSRF_COOKIE, pair.csrf, max_age=pair.refresh_expires_in, httponly=False, path="/", **common)


def clear_auth_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/", samesite="Lax")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, samesite="Lax")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="Lax")


def token_body(pair: TokenPair) -> dict[str, Any]:
    return {
        "access_token": pair.access,
        "refresh_token": pair.refresh,
        "expires_in": pair.expires_in,
        "token_type": "Bearer",
    }
