"""``/api/auth/*`` of twin, and the login/refresh/logout views shared with enginel (DESIGN.md, "/api/auth/*").

``/api/auth/login``, ``/api/auth/login/`` (and refresh, logout) are one view each: the union body
``{access_token, refresh_token, expires_in, token_type, user}`` plus the twin cookies. They answer
errors in the union of the envelopes of the documents that claim them (specs/notes.md, enginel):
``{error, message, detail, code}`` (twin's ``{error, message}`` and enginel's ``{error, detail, code,
field_errors}``).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from custos.api.errors import normalise, render
from custos.identity import services
from custos.identity.api.common import (
    DialectGenericView,
    clear_auth_cookies,
    current_session_id,
    set_auth_cookies,
    token_body,
    user_context,
)
from custos.identity.api.serializers import (
    AuthUserSerializer,
    LoginSerializer,
    MessageSerializer,
    OptionalRefreshSerializer,
    TokenBodySerializer,
    TokenRefreshBodySerializer,
    TwinMeSerializer,
    TwinRegisterSerializer,
)
from custos.identity.authentication import CSRF_COOKIE, REFRESH_COOKIE, CustosJWTAuthentication, enforce_csrf
from custos.identity.errors import TokenInvalid
from custos.identity.throttles import LoginThrottle, RefreshThrottle, RegisterThrottle
from custos.kernel.context import WriteContext
from custos.orgs.selectors import platform_role

if TYPE_CHECKING:
    from custos.identity.models import User


def union_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The shared routes' errors: the twin and the enginel envelopes in one body."""
    error = normalise(exc)
    if error is None:
        return None
    _, enginel = render(error, "enginel")
    status_code, twin = render(error, "twin")
    body = {**enginel, **twin}
    if not body.get("field_errors"):
        body.pop("field_errors", None)  # only validation errors carry field errors
    return Response(body, status=status_code, headers=error.headers)


class SharedRouteMixin:
    """Errors in the union envelope (``union_exception_handler``)."""

    def get_exception_handler(self) -> Any:
        return union_exception_handler


class SharedLoginView(SharedRouteMixin, DialectGenericView):
    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginThrottle,)
    serializer_class = LoginSerializer

    @extend_schema(responses={200: TokenBodySerializer}, summary="Log in (twin and enginel)")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        ctx = WriteContext.from_request(request)
        user = services.login_authenticate(
            ctx, identifier=form.validated_data["identifier"], password=form.validated_data["password"]
        )
        pair = services.session_start(
            ctx, user=user, device_name=form.validated_data.get("device_name", ""), channel="auth"
        )
        user_body = AuthUserSerializer(user, context=user_context(request, user)).data
        response = Response({**token_body(pair), "user": user_body})
        set_auth_cookies(response, pair, request)
        return response


class SharedRefreshView(SharedRouteMixin, DialectGenericView):
    """The refresh token from the body (``refresh_token``/``refresh``) or, for cookie clients, from
    ``refresh_token_cookie`` with the CSRF double submit."""

    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (RefreshThrottle,)
    serializer_class = OptionalRefreshSerializer

    @extend_schema(responses={200: TokenRefreshBodySerializer}, summary="Rotate the refresh token")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        raw = form.validated_data.get("refresh_token") or form.validated_data.get("refresh")
        csrf = None
        if not raw:
            raw = request.COOKIES.get(REFRESH_COOKIE)
            if not raw:
                raise TokenInvalid("Missing refresh token.")
            enforce_csrf(request, "")
            csrf = request.COOKIES.get(CSRF_COOKIE, "")
        pair = services.session_refresh(WriteContext.from_request(request), raw_refresh=raw, csrf=csrf)
        response = Response(token_body(pair))
        set_auth_cookies(response, pair, request)
        return response


class SharedLogoutView(SharedRouteMixin, DialectGenericView):
    """Revokes the session of the refresh token given (body or cookie) or of the access token, and
    clears the cookies.

    ``/api/auth/logout`` (twin) needs no authentication: without any token it only clears the cookies.
    ``/api/auth/logout/`` (enginel, whose authentication routes all require a credential) refuses an
    anonymous caller with 401 before reading the body, and ends only the caller's own sessions (the
    refresh token given, else the session of the credential used)."""

    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    serializer_class = OptionalRefreshSerializer
    credential_required = False

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Decided before DRF builds its request, which asks ``get_authenticators`` for the form's own.
        self.credential_required = request.path.endswith("/")
        return super().initialize_request(request, *args, **kwargs)

    def get_authenticators(self) -> list[Any]:
        if self.credential_required:
            return [authenticator() for authenticator in DialectGenericView.authentication_classes]
        return []

    def get_permissions(self) -> list[Any]:
        return [IsAuthenticated()] if self.credential_required else [AllowAny()]

    @extend_schema(responses={200: MessageSerializer}, summary="Log out (revoke the session)")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        raw = form.validated_data.get("refresh_token") or form.validated_data.get("refresh") or ""
        ctx = WriteContext.from_request(request)
        if raw:
            services.session_logout(ctx, raw_refresh=raw)
        elif self.credential_required:
            services.session_logout(ctx, session_id=current_session_id(request) or "")
        else:
            try:
                found = CustosJWTAuthentication().authenticate(request)
            except Exception:  # an invalid or expired access token: nothing to revoke
                found = None
            cookie = request.COOKIES.get(REFRESH_COOKIE, "")
            if found is not None:
                user, token = found
                request.auth = token
                # simplejwt types the user as AbstractBaseUser; AUTH_USER_MODEL is ours.
                services.session_logout(
                    replace(ctx, user=cast("User", user)), session_id=current_session_id(request) or ""
                )
            elif cookie:
                with contextlib.suppress(TokenInvalid):  # a stale cookie: nothing left to revoke
                    services.session_logout(ctx, raw_refresh=cookie)
        response = Response({"message": "Logout successful"})
        clear_auth_cookies(response)
        return response


class TwinRegisterView(DialectGenericView):
    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (RegisterThrottle,)
    serializer_class = TwinRegisterSerializer

    @extend_schema(responses={201: MessageSerializer}, summary="Register (409 on a duplicate)")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.user_register(WriteContext.from_request(request), **form.validated_data, channel="twin")
        return Response({"message": "User registered successfully"}, status=status.HTTP_201_CREATED)


class TwinMeView(DialectGenericView):
    dialect = "twin"
    permission_classes = (IsAuthenticated,)
    serializer_class = TwinMeSerializer

    def get(self, request: Any) -> Response:
        return Response({"logged_in_as": request.user.username, "role": platform_role(user=request.user)})
