"""``/api/auth/users/*`` and ``/api/auth/jwt/*`` of pipeline, in djoser's shapes (djoser 2.x answers)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from custos.identity import selectors, services
from custos.identity.api.common import DialectGenericView, PairLoginView, PairRefreshView, PublicFormView
from custos.identity.api.serializers import (
    CurrentPasswordSerializer,
    EmailRequestSerializer,
    LoginSerializer,
    PipelineRegisterSerializer,
    PipelineResetConfirmSerializer,
    PipelineUserSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    SetPasswordSerializer,
    TokenVerifyInputSerializer,
    UidTokenSerializer,
)
from custos.identity.errors import TokenInvalid
from custos.identity.throttles import RecoveryThrottle, RegisterThrottle
from custos.identity.tokens import SESSION_CLAIM, VERSION_CLAIM, decode
from custos.kernel.context import WriteContext


class PublicView(PublicFormView):
    dialect = "pipeline"


class UserCreateView(PublicView):
    serializer_class = PipelineRegisterSerializer
    throttle_classes = (RegisterThrottle,)

    @extend_schema(responses={201: PipelineUserSerializer})
    def post(self, request: Any) -> Response:
        user = services.user_register(WriteContext.from_request(request), **self.form(request), channel="pipeline")
        return Response(PipelineUserSerializer(user).data, status=status.HTTP_201_CREATED)


class MeView(DialectGenericView):
    dialect = "pipeline"
    permission_classes = (IsAuthenticated,)
    serializer_class = ProfileUpdateSerializer

    def get_object(self) -> Any:
        return self.request.user  # also what DRF's OPTIONS metadata asks for

    @extend_schema(responses={200: PipelineUserSerializer})
    def get(self, request: Any) -> Response:
        return Response(PipelineUserSerializer(request.user).data)

    def _update(self, request: Any, partial: bool) -> Response:
        form = self.get_serializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        user = services.user_update_profile(
            WriteContext.from_request(request), user=request.user, data=form.validated_data
        )
        return Response(PipelineUserSerializer(user).data)

    @extend_schema(responses={200: PipelineUserSerializer})
    def put(self, request: Any) -> Response:
        return self._update(request, partial=True)  # djoser's PUT also takes a partial body

    @extend_schema(responses={200: PipelineUserSerializer})
    def patch(self, request: Any) -> Response:
        return self._update(request, partial=True)

    @extend_schema(request=CurrentPasswordSerializer, responses={204: None})
    def delete(self, request: Any) -> Response:
        form = CurrentPasswordSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.user_delete(
            WriteContext.from_request(request), target=request.user, password=form.validated_data["current_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResetPasswordView(PublicView):
    serializer_class = EmailRequestSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={204: None})
    def post(self, request: Any) -> Response:
        services.password_reset_request(WriteContext.from_request(request), email=self.form(request)["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResetPasswordConfirmView(PublicView):
    serializer_class = PipelineResetConfirmSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={204: None})
    def post(self, request: Any) -> Response:
        data = self.form(request)
        services.password_reset_confirm(
            WriteContext.from_request(request), uid=data["uid"], token=data["token"], new_password=data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SetPasswordView(DialectGenericView):
    dialect = "pipeline"
    permission_classes = (IsAuthenticated,)
    serializer_class = SetPasswordSerializer

    @extend_schema(responses={204: None})
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.password_change(
            WriteContext.from_request(request),
            user=request.user,
            current_password=form.validated_data["current_password"],
            new_password=form.validated_data["new_password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivationView(PublicView):
    serializer_class = UidTokenSerializer

    @extend_schema(responses={204: None})
    def post(self, request: Any) -> Response:
        data = self.form(request)
        services.email_confirm(WriteContext.from_request(request), uid=data["uid"], token=data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResendActivationView(PublicView):
    serializer_class = EmailRequestSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={204: None})
    def post(self, request: Any) -> Response:
        services.email_confirmation_request(WriteContext.from_request(request), email=self.form(request)["email"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwtCreateView(PairLoginView):
    dialect = "pipeline"
    channel = "pipeline"
    serializer_class = LoginSerializer


class JwtRefreshView(PairRefreshView):
    dialect = "pipeline"


class JwtVerifyView(PublicView):
    serializer_class = TokenVerifyInputSerializer

    @extend_schema(responses={200: None})
    def post(self, request: Any) -> Response:
        claims = decode(self.form(request)["token"])
        if claims.get("token_type") == "refresh" and BlacklistedToken.objects.filter(token__jti=claims.get("jti")):
            raise TokenInvalid("Token is blacklisted")
        user_id: Any = claims.get("user_id")  # whatever the (verified) token carries
        user = services.User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or claims.get(VERSION_CLAIM, 0) != user.token_version:
            raise TokenInvalid()
        if claims.get(SESSION_CLAIM) and not selectors.session_is_live(
            session_id=claims[SESSION_CLAIM], user_id=user.pk
        ):
            raise TokenInvalid()
        return Response({})


class JwtLogoutView(DialectGenericView):
    """Blacklists the caller's own refresh token. The document requires authentication: an anonymous
    caller is refused with 401 before the body is read; another user's refresh token is a 401 too."""

    dialect = "pipeline"
    permission_classes = (IsAuthenticated,)
    serializer_class = RefreshSerializer

    @extend_schema(responses={200: None})
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.session_logout(WriteContext.from_request(request), raw_refresh=form.validated_data["refresh"])
        return Response({})
