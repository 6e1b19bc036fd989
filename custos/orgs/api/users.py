"""User presenters: ``/api/users/`` (pipeline + enginel union) and ``/api/admin/users/`` (sqal).

Staff see every user; others see the members of their organizations (and themselves): anyone else
is a 404. Account writes are staff only; ``me`` is everyone's. The writes are the account services of
``custos.identity.services`` (the same as every other account route).

``is_us_person`` and ``security_clearance_level`` are not account fields: they show, and a write of
them changes, the attestation of the organization in context (``custos.orgs.api.context``): the
``X-Organization`` one, else the user's only organization visible to the caller; with several and no
header they read ``null`` and a write is refused (400 ``ORGANIZATION_REQUIRED``). Only an OWNER/ADMIN
of that organization or staff may write them, never for themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectViewSet
from custos.identity import services as accounts
from custos.kernel.context import WriteContext
from custos.ops.throttles import SettingsRateThrottle
from custos.orgs import selectors, services
from custos.orgs.api.context import organization_in_context
from custos.orgs.api.serializers import (
    ProfileSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
    sqal_single,
)
from custos.orgs.filters import UserFilter

_USER_SEARCH = ("email", "username", "first_name", "last_name")
_USER_ORDERING = ("date_joined", "last_login", "email", "username")


class StaffForAccountWrites(BasePermission):
    """Creating, deleting, activating and deactivating accounts is for staff."""

    message = "Only staff may manage user accounts."
    staff_actions = frozenset({"create", "destroy", "activate", "deactivate"})

    def has_permission(self, request: Request, view: Any) -> bool:
        return view.action not in self.staff_actions or bool(request.user and request.user.is_staff)


def user_scope(request: Request) -> QuerySet:
    user = request.user
    org_ids = None if user.is_staff else visible_org_ids(request)
    return selectors.user_list(viewer=user, org_ids=org_ids)


def _create(request: Request, serializer: UserCreateSerializer) -> Any:
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    organization_id = data.pop("organization_id", None)
    ctx = _ctx(request)
    organization = None
    if organization_id is not None:
        organization = services.organization_for_admin(ctx, organization_id=organization_id)
    return accounts.user_create(ctx, data=data, organization=organization)


def _ctx(request: Request) -> WriteContext:
    """The write context, in the organization named by ``X-Organization`` (if any)."""
    return WriteContext.from_request(request, organization_id=organization_in_context(request))


def _context_org(request: Request | None) -> Any:
    return organization_in_context(request) if request is not None else None


def _fresh(request: Request, pk: Any) -> Any:
    """The user re-read through the scope (memberships prefetched) for presentation."""
    return user_scope(request).get(pk=pk)


_ActiveResponse = inline_serializer(
    "UserActiveState", {"id": serializers.UUIDField(), "is_active": serializers.BooleanField()}
)


@extend_schema_view(
    list=extend_schema(summary="List users (staff: all; others: their organizations' members)"),
    retrieve=extend_schema(summary="Get a user"),
    create=extend_schema(
        summary="Create a user (staff)", request=UserCreateSerializer, responses={201: UserSerializer}
    ),
    update=extend_schema(summary="Update a user", request=UserUpdateSerializer),
    partial_update=extend_schema(summary="Partially update a user", request=UserUpdateSerializer),
    destroy=extend_schema(summary="Delete a user (staff)", responses={204: None}),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    dialect = "pipeline"
    field_selection = True  # enginel's ?fields= on the shared route
    serializer_class = UserSerializer
    throttle_classes = (SettingsRateThrottle,)
    permission_classes = (IsAuthenticated, StaffForAccountWrites)
    filterset_class = UserFilter
    search_fields = _USER_SEARCH
    ordering_fields = _USER_ORDERING
    ordering = ("email",)

    def get_queryset(self) -> QuerySet:
        return user_scope(self.request)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "organization_id": _context_org(self.request)}

    def get_object(self) -> Any:
        if not self.detail:  # ``me`` (and DRF's OPTIONS metadata on it): the caller
            return _fresh(self.request, self.request.user.pk)
        return super().get_object()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _create(request, UserCreateSerializer(data=request.data))
        return Response(self.get_serializer(_fresh(request, user.pk)).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        serializer = UserUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        accounts.user_update(_ctx(request), target=target, data=serializer.validated_data)
        return Response(self.get_serializer(_fresh(request, target.pk)).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        accounts.user_delete(WriteContext.from_request(request), target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["GET"], summary="The current user", responses=UserSerializer)
    @extend_schema(methods=["PUT", "PATCH"], summary="Update the current user", request=ProfileSerializer)
    @action(detail=False, methods=["get", "put", "patch"], url_path="me", filter_backends=[], pagination_class=None)
    def me(self, request: Request) -> Response:
        if request.method != "GET":
            serializer = ProfileSerializer(data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            accounts.user_update_profile(_ctx(request), user=request.user, data=serializer.validated_data, strict=True)
        return Response(self.get_serializer(_fresh(request, request.user.pk)).data)

    @extend_schema(summary="Activate a user (staff)", request=None, responses=_ActiveResponse)
    @action(detail=True, methods=["post"], url_path="activate", filter_backends=[])
    def activate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = accounts.user_set_active(WriteContext.from_request(request), target=self.get_object(), active=True)
        return Response({"id": user.pk, "is_active": user.is_active})

    @extend_schema(summary="Deactivate a user (staff)", request=None, responses=_ActiveResponse)
    @action(detail=True, methods=["post"], url_path="deactivate", filter_backends=[])
    def deactivate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = accounts.user_set_active(WriteContext.from_request(request), target=self.get_object(), active=False)
        return Response({"id": user.pk, "is_active": user.is_active})


_SqalUser = inline_serializer("SqalUserEnvelope", {"data": UserSerializer(), "message": serializers.CharField()})
_SqalDeleted = inline_serializer(
    "SqalUserDeleted",
    {"data": inline_serializer("SqalDeletedId", {"id": serializers.UUIDField()}), "message": serializers.CharField()},
)


@extend_schema_view(
    list=extend_schema(summary="List users (admin)"),
    retrieve=extend_schema(summary="Get a user (admin)", responses=_SqalUser),
    create=extend_schema(summary="Create a user (admin)", request=UserCreateSerializer, responses={201: _SqalUser}),
    partial_update=extend_schema(summary="Update a user (admin)", request=UserUpdateSerializer, responses=_SqalUser),
    destroy=extend_schema(summary="Delete a user (admin)", responses=_SqalDeleted),
)
class AdminUserViewSet(mixins.ListModelMixin, DialectViewSet):
    """``/api/admin/users/`` (sqal): staff only; camelCase; single objects as ``{data, message}``."""

    dialect = "sqal"
    serializer_class = UserSerializer
    throttle_classes = (SettingsRateThrottle,)
    permission_classes = (IsAuthenticated, IsAdminUser)
    filterset_class = UserFilter
    search_fields = _USER_SEARCH
    ordering_fields = _USER_ORDERING
    ordering = ("email",)
    lookup_url_kwarg = "user_id"

    def get_queryset(self) -> QuerySet:
        return user_scope(self.request)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "organization_id": _context_org(self.request)}

    def _one(self, user: Any, message: str = "Success", status_code: int = 200) -> Response:
        data = self.get_serializer(_fresh(self.request, user.pk)).data
        return Response(sqal_single(data, message), status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._one(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _create(request, UserCreateSerializer(data=request.data))
        return self._one(user, "User created", status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        serializer = UserUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        accounts.user_update(_ctx(request), target=target, data=serializer.validated_data)
        return self._one(target, "User updated")

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        target_id = target.pk
        accounts.user_delete(WriteContext.from_request(request), target=target)
        return Response(sqal_single({"id": target_id}, "User deleted"))
