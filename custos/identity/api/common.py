"""Shared pieces of the account views: the base view, cookies, permissions, the current session."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response

from custos.api.viewsets import DialectGenericView
from custos.identity import services
from custos.identity.api.serializers import AccessRefreshPairSerializer, RefreshSerializer
from custos.identity.authentication import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE
from custos.identity.models import ApiKey
from custos.identity.throttles import LoginThrottle, RefreshThrottle
from custos.identity.tokens import SESSION_CLAIM, TokenPair
from custos.kernel.context import WriteContext
from custos.orgs.selectors import organization_id_named

REFRESH_COOKIE_PATH = "/api/auth"


class PublicFormView(DialectGenericView):
    """A public POST that validates its body with ``serializer_class`` (``form``)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def form(self, request: Any, **context: Any) -> dict[str, Any]:
        form = self.get_serializer(data=request.data)
        # ``context`` is the serializer's own dict (the stubs type it read-only).
        cast("dict[str, Any]", form.context).update(context)
        form.is_valid(raise_exception=True)
        return form.validated_data


class PairLoginView(PublicFormView):
    """``{identifier, password, device_name?}`` -> ``{access, refresh}`` (SimpleJWT's pair) for ``channel``."""

    channel = ""
    throttle_classes = (LoginThrottle,)

    @extend_schema(responses={200: AccessRefreshPairSerializer})
    def post(self, request: Any) -> Response:
        data = self.form(request)
        ctx = WriteContext.from_request(request)
        user = services.login_authenticate(ctx, identifier=data["identifier"], password=data["password"])
        pair = services.session_start(ctx, user=user, device_name=data.get("device_name", ""), channel=self.channel)
        return Response({"access": pair.access, "refresh": pair.refresh})


class PairRefreshView(PublicFormView):
    """``{refresh}`` -> a rotated ``{access, refresh}``; the old refresh token is blacklisted."""

    serializer_class = RefreshSerializer
    throttle_classes = (RefreshThrottle,)

    @extend_schema(responses={200: AccessRefreshPairSerializer})
    def post(self, request: Any) -> Response:
        pair = services.session_refresh(WriteContext.from_request(request), raw_refresh=self.form(request)["refresh"])
        return Response({"access": pair.access, "refresh": pair.refresh})


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
    response.set_cookie(
        ACCESS_COOKIE, pair.access, max_age=pair.expires_in, httponly=True, path="/", samesite="Lax", secure=secure
    )
    response.set_cookie(
        REFRESH_COOKIE,
        pair.refresh,
        max_age=pair.refresh_expires_in,
        httponly=True,
        path=REFRESH_COOKIE_PATH,
        samesite="Lax",
        secure=secure,
    )
    # Readable by the page's script, which echoes it in X-CSRF-TOKEN (double submit).
    response.set_cookie(
        CSRF_COOKIE,
        pair.csrf,
        max_age=pair.refresh_expires_in,
        httponly=False,
        path="/",
        samesite="Lax",
        secure=secure,
    )


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


def user_context(request: Any, user: Any) -> dict[str, Any]:
    """Serializer context of a user response: the organization ``X-Organization`` names (one of ``user``'s,
    or any for staff) decides which attestation ``is_us_person``/``security_clearance_level`` show; an
    unknown or foreign one is ignored here (the user's only organization is shown then)."""
    raw = request.headers.get("X-Organization", "") if request is not None else ""
    return {"request": request, "organization_id": organization_id_named(viewer=user, raw=raw) if raw else None}
