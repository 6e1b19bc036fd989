"""The access document's account routes (``/api/access/users|auth|logged-devices|...``)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from custos.api.parsers import ORJSONParser
from custos.api.viewsets import DialectViewSet
from custos.identity import selectors, services
from custos.identity.api.common import DialectGenericView, PairLoginView, PairRefreshView, PublicFormView
from custos.identity.api.serializers import (
    AccessLoginSerializer,
    AccessRegisterSerializer,
    AccessResetConfirmSerializer,
    AccessUserSerializer,
    AvatarSerializer,
    CurrentPasswordSerializer,
    DetailSerializer,
    EmailRequestSerializer,
    LoggedDeviceSerializer,
    PreRegistrationSerializer,
    ProfileUpdateSerializer,
    RefreshSerializer,
    UidTokenSerializer,
)
from custos.identity.models import LoggedDevice, User
from custos.identity.throttles import RecoveryThrottle, RegisterThrottle
from custos.kernel.context import WriteContext

UUID_REGEX = "[0-9a-fA-F-]{36}"


def _action(view: Any) -> str | None:
    """The viewset action of this request, known before authentication runs."""
    request = getattr(view, "request", None)
    if request is None:
        return None
    return getattr(view, "action_map", {}).get(request.method.lower())


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    DialectViewSet,
):
    """Register (public), list (staff), read/update/delete yourself (staff: anyone)."""

    dialect = "access"
    serializer_class = AccessUserSerializer
    lookup_value_regex = UUID_REGEX
    parser_classes = (ORJSONParser, MultiPartParser, FormParser)

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.user_list_visible(actor=self.request.user)

    def get_object(self) -> Any:
        if not self.detail:  # ``me`` (and DRF's OPTIONS metadata on it): the caller
            return self.request.user
        return super().get_object()

    def get_permissions(self) -> list[Any]:
        if self.action in ("create", "metadata"):  # public registration: its description is public too
            return [AllowAny()]
        if self.action == "list":
            return [IsAuthenticated(), IsAdminUser()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        return [RegisterThrottle()] if self.action == "create" else super().get_throttles()

    def get_authenticators(self) -> list[Any]:
        if _action(self) == "create":
            return []  # registration never depends on (possibly stale) credentials
        return super().get_authenticators()

    @extend_schema(request=AccessRegisterSerializer, responses={201: AccessUserSerializer})
    def create(self, request: Any) -> Response:
        form = AccessRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = services.user_register(WriteContext.from_request(request), **form.validated_data, channel="access")
        return Response(AccessUserSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Any, user: Any, partial: bool) -> Response:
        form = ProfileUpdateSerializer(data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        ctx = WriteContext.from_request(request)
        if user.pk == request.user.pk:
            user = services.user_update_profile(ctx, user=user, data=form.validated_data)
        else:
            user = services.user_update(ctx, target=user, data=form.validated_data)
        return Response(AccessUserSerializer(user, context={"request": request}).data)

    @extend_schema(request=ProfileUpdateSerializer, responses={200: AccessUserSerializer})
    def update(self, request: Any, pk: Any = None) -> Response:
        return self._update(request, self.get_object(), partial=False)

    @extend_schema(request=ProfileUpdateSerializer, responses={200: AccessUserSerializer})
    def partial_update(self, request: Any, pk: Any = None) -> Response:
        return self._update(request, self.get_object(), partial=True)

    @extend_schema(request=CurrentPasswordSerializer, responses={204: None})
    def destroy(self, request: Any, pk: Any = None) -> Response:
        """Deleting one's own account needs ``current_password``; staff delete others without it."""
        target = self.get_object()
        password = None
        if target.pk == request.user.pk:
            form = CurrentPasswordSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            password = form.validated_data["current_password"]
        services.user_delete(WriteContext.from_request(request), target=target, password=password)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], responses={200: AccessUserSerializer})
    @extend_schema(methods=["PATCH", "PUT"], request=ProfileUpdateSerializer, responses={200: AccessUserSerializer})
    @action(detail=False, methods=["get", "patch", "put"], url_path="me")
    def me(self, request: Any) -> Response:
        if request.method == "GET":
            return Response(AccessUserSerializer(request.user, context={"request": request}).data)
        return self._update(request, request.user, partial=request.method == "PATCH")

    @extend_schema(request={"multipart/form-data": AvatarSerializer}, responses={200: AccessUserSerializer})
    @action(detail=False, methods=["post"], url_path="me/avatar")
    def avatar(self, request: Any) -> Response:
        form = AvatarSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = services.user_set_avatar(
            WriteContext.from_request(request), user=request.user, avatar=form.validated_data["avatar"]
        )
        return Response(AccessUserSerializer(user, context={"request": request}).data)


class PublicAccessView(PublicFormView):
    dialect = "access"


class LoginView(PairLoginView):
    dialect = "access"
    channel = "access"
    serializer_class = AccessLoginSerializer


class RefreshView(PairRefreshView):
    dialect = "access"


class LogoutView(DialectGenericView):
    """Blacklists the caller's own refresh token (authenticated: an anonymous caller gets 401 before
    the body is read; another user's refresh token is a 401 too)."""

    dialect = "access"
    permission_classes = (IsAuthenticated,)
    serializer_class = RefreshSerializer

    @extend_schema(responses={200: DetailSerializer})
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.session_logout(WriteContext.from_request(request), raw_refresh=form.validated_data["refresh"])
        return Response({"detail": "Successfully logged out."})


RESET_SENT = "If an account exists for this e-mail address, a password reset link has been sent to it."
CONFIRMATION_SENT = "If this address belongs to an unconfirmed account, a confirmation link has been sent to it."


class ResetPasswordRequestView(PublicAccessView):
    serializer_class = EmailRequestSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={200: DetailSerializer})
    def post(self, request: Any) -> Response:
        services.password_reset_request(WriteContext.from_request(request), email=self.form(request)["email"])
        return Response({"detail": RESET_SENT})


class ResetPasswordConfirmView(PublicAccessView):
    serializer_class = AccessResetConfirmSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={200: DetailSerializer})
    def post(self, request: Any) -> Response:
        data = self.form(request)
        services.password_reset_confirm(
            WriteContext.from_request(request), uid=data["uid"], token=data["token"], new_password=data["new_password"]
        )
        return Response({"detail": "Password has been reset."})


class EmailConfirmationRequestView(DialectGenericView):
    """Public: ``{email}``; a logged-in caller may omit it to have their own address confirmed."""

    dialect = "access"
    permission_classes = (AllowAny,)
    serializer_class = EmailRequestSerializer
    throttle_classes = (RecoveryThrottle,)

    @extend_schema(responses={200: DetailSerializer})
    def post(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        # ``context`` is the serializer's own dict (the stubs type it read-only).
        cast("dict[str, Any]", form.context)["allow_missing"] = request.user.is_authenticated
        form.is_valid(raise_exception=True)
        email = form.validated_data["email"] or request.user.email
        services.email_confirmation_request(WriteContext.from_request(request), email=email)
        return Response({"detail": CONFIRMATION_SENT})


class EmailConfirmView(PublicAccessView):
    serializer_class = UidTokenSerializer

    @extend_schema(responses={200: DetailSerializer})
    def post(self, request: Any) -> Response:
        data = self.form(request)
        services.email_confirm(WriteContext.from_request(request), uid=data["uid"], token=data["token"])
        return Response({"detail": "E-mail address confirmed."})


class LoggedDeviceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    DialectViewSet,
):
    """The caller's own devices (another user's is a 404)."""

    dialect = "access"
    serializer_class = LoggedDeviceSerializer
    permission_classes = (IsAuthenticated,)
    lookup_value_regex = UUID_REGEX

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return LoggedDevice.objects.none()
        return selectors.logged_device_list(user=self.request.user)

    def create(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = services.logged_device_create(WriteContext.from_request(request), data=form.validated_data)
        return Response(self.get_serializer(device).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Any, partial: bool) -> Response:
        device = self.get_object()
        form = self.get_serializer(device, data=request.data, partial=partial)
        form.is_valid(raise_exception=True)
        device = services.logged_device_update(
            WriteContext.from_request(request), device=device, data=form.validated_data
        )
        return Response(self.get_serializer(device).data)

    def update(self, request: Any, pk: Any = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Any, pk: Any = None) -> Response:
        return self._update(request, partial=True)

    @extend_schema(responses={204: None})
    def destroy(self, request: Any, pk: Any = None) -> Response:
        services.logged_device_delete(WriteContext.from_request(request), device=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreRegistrationViewSet(mixins.ListModelMixin, DialectViewSet):
    """Public ``POST {email}``; the list is for staff."""

    dialect = "access"
    serializer_class = PreRegistrationSerializer

    def get_queryset(self) -> Any:
        return selectors.pre_registration_list()

    def get_permissions(self) -> list[Any]:
        if self.action in ("create", "metadata"):  # public registration: its description is public too
            return [AllowAny()]
        return [IsAuthenticated(), IsAdminUser()]

    def get_authenticators(self) -> list[Any]:
        if _action(self) == "create":
            return []
        return super().get_authenticators()

    def get_throttles(self) -> list[Any]:
        return [RegisterThrottle()] if self.action == "create" else super().get_throttles()

    def create(self, request: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        entry = services.pre_registration_create(WriteContext.from_request(request), email=form.validated_data["email"])
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)
