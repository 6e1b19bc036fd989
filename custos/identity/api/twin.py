"""``/api/auth/*`` of twin, and the login/refresh/logout views shared with enginel (DESIGN.md, "/api/auth/*").

``/api/auth/login``, ``/api/auth/login/`` (and refresh, logout) are one view each: the union body
``{access_token, refresh_token, expires_in, token_type, user}`` plus the twin cookies. They answer
errors in the twin envelope ``{error, message}`` (their own routes are twin's slash-less ones).
"""

from __future__ import annotations

import contextlib
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from custos.identity import services
from custos.identity.api.common import (
    DialectGenericView,
    clear_auth_cookies,
    current_session_id,
    set_auth_cookies,
    token_body,
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
    role_of,
)
from custos.identity.authentication import CSRF_COOKIE, REFRESH_COOKIE, CustosJWTAuthentication, enforce_csrf
from custos.identity.errors import TokenInvalid
from custos.identity.throttles import LoginThrottle, RefreshThrottle, RegisterThrottle


class SharedLoginView(DialectGenericView):
    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (LoginThrottle,)
    serializer_class = LoginSerializer

    @extend_schema(responses={200: TokenBodySerializer}, summary="Log in (twin and enginel)")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = services.login_authenticate(
            identifier=form.validated_data["identifier"], password=form.validated_data["password"], request=request
        )
        pair = services.session_start(
            user=user, request=request, device_name=form.validated_data.get("device_name", ""), channel="auth"
        )
        response = Response({**token_body(pair), "user": AuthUserSerializer(user).data})
        set_auth_cookies(response, pair, request)
        return response


class SharedRefreshView(DialectGenericView):
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
        pair = services.session_refresh(raw_refresh=raw, request=request, csrf=csrf)
        response = Response(token_body(pair))
        set_auth_cookies(response, pair, request)
        return response


class SharedLogoutView(DialectGenericView):
    """Revokes the session of the refresh token given (body or cookie) or of the access token, and
    clears the cookies. Without any token it only clears the cookies."""

    dialect = "twin"
    authentication_classes = ()
    permission_classes = (AllowAny,)
    serializer_class = OptionalRefreshSerializer

    @extend_schema(responses={200: MessageSerializer}, summary="Log out (revoke the session)")
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        raw = form.validated_data.get("refresh_token") or form.validated_data.get("refresh") or ""
        if raw:
            services.session_logout(raw_refresh=raw, request=request)
        else:
            try:
                found = CustosJWTAuthentication().authenticate(request)
            except Exception:  # an invalid or expired access token: nothing to revoke
                found = None
            cookie = request.COOKIES.get(REFRESH_COOKIE, "")
            if found is not None:
                user, token = found
                request.auth = token
                services.session_logout(session_id=current_session_id(request) or "", actor=user, request=request)
            elif cookie:
                with contextlib.suppress(TokenInvalid):  # a stale cookie: nothing left to revoke
                    services.session_logout(raw_refresh=cookie, request=request)
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
        services.user_register(**form.validated_data, request=request, channel="twin")
        return Response({"message": "User registered successfully"}, status=status.HTTP_201_CREATED)


class TwinMeView(DialectGenericView):
    dialect = "twin"
    permission_classes = (IsAuthenticated,)
    serializer_class = TwinMeSerializer

    def get(self, request: Any) -> Response:
        return Response({"logged_in_as": request.user.username, "role": role_of(request.user)})
