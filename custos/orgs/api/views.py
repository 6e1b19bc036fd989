"""``/api/organizations/``: enginel (default) and sqal (``skip``/``limit``, ``{org_id}``) presenters."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectViewSet
from custos.kernel.context import WriteContext
from custos.ops.throttles import SettingsRateThrottle
from custos.orgs import selectors, services
from custos.orgs.api.serializers import (
    AddMemberSerializer,
    MembershipSerializer,
    OrganizationInputSerializer,
    OrganizationSerializer,
    PendingMemberSerializer,
    sqal_single,
)
from custos.orgs.api.switch import EnginelOrSqalMixin
from custos.orgs.filters import OrganizationFilter
from custos.orgs.models import Membership

_SQAL_PARAMS = [
    OpenApiParameter("skip", OpenApiTypes.INT, description="sqal: rows to skip (switches to the sqal envelope)"),
    OpenApiParameter("limit", OpenApiTypes.INT, description="sqal: page length (switches to the sqal envelope)"),
]


_PAGINATION = inline_serializer(
    "SqalPagination",
    {
        "totalItems": serializers.IntegerField(),
        "totalPages": serializers.IntegerField(),
        "currentPage": serializers.IntegerField(),
        "hasPrevious": serializers.BooleanField(),
        "hasNext": serializers.BooleanField(),
    },
)
# One route, two envelopes: enginel's page by default, sqal's when ``skip`` or ``limit`` is given (its
# items in camelCase).
_ORGANIZATION_PAGES = PolymorphicProxySerializer(
    component_name="OrganizationPageEnginelOrSqal",
    serializers=[
        inline_serializer(
            "OrganizationPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": OrganizationSerializer(many=True),
            },
        ),
        inline_serializer(
            "SqalOrganizationPage",
            {"items": serializers.ListField(child=serializers.DictField()), "pagination": _PAGINATION},
        ),
    ],
    resource_type_field_name=None,
    many=False,  # each member is already a whole page: not wrapped in a pagination envelope again
)


def organization_scope(request: Request) -> QuerySet:
    """The organizations this request may see (staff: all; others: their own, narrowed by ``X-Organization``)."""
    user = request.user
    org_ids = None if user.is_staff else visible_org_ids(request)
    return selectors.organization_list(user=user, org_ids=org_ids)


@extend_schema_view(
    list=extend_schema(summary="List organizations", parameters=_SQAL_PARAMS, responses=_ORGANIZATION_PAGES),
    retrieve=extend_schema(summary="Get an organization"),
    create=extend_schema(summary="Create an organization", request=OrganizationInputSerializer),
    update=extend_schema(summary="Update an organization", request=OrganizationInputSerializer),
    partial_update=extend_schema(summary="Partially update an organization", request=OrganizationInputSerializer),
    destroy=extend_schema(summary="Close an organization", responses={204: None}),
)
class OrganizationViewSet(
    EnginelOrSqalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    DialectViewSet,
):
    dialect = "enginel"
    serializer_class = OrganizationSerializer
    throttle_classes = (SettingsRateThrottle,)
    filterset_class = OrganizationFilter
    search_fields = ("name", "slug", "description")
    ordering_fields = ("name", "slug", "created_at", "subscription_tier")
    ordering = ("name",)

    def get_queryset(self) -> QuerySet:
        return organization_scope(self.request)

    def _present(self, organization: Any, *, status_code: int = 200, message: str = "Success") -> Response:
        data = OrganizationSerializer(organization, context=self.get_serializer_context()).data
        return Response(sqal_single(data, message) if self.sqal_mode else data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._present(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = OrganizationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(WriteContext.from_request(request), data=serializer.validated_data)
        return self._present(organization, status_code=status.HTTP_201_CREATED, message="Organization created")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = OrganizationInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.organization_update(
            WriteContext.from_request(request), organization=organization, data=serializer.validated_data
        )
        return self._present(self.get_object(), message="Organization updated")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        services.organization_delete(WriteContext.from_request(request), organization=organization)
        if self.sqal_mode:
            return Response(sqal_single({"id": str(organization.pk)}, "Organization deleted"))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Members of an organization (OWNER/ADMIN also see pending invitations)",
        responses=MembershipSerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="members", pagination_class=None, filter_backends=[])
    def members(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        rows = [
            (MembershipSerializer if isinstance(row, Membership) else PendingMemberSerializer)(row).data
            for row in selectors.member_rows(organization=organization, viewer=request.user)
        ]
        return Response(sqal_single(rows) if self.sqal_mode else rows)

    @extend_schema(
        summary="Invite a member (OWNER or ADMIN): the answer is the same whether or not the account exists",
        request=AddMemberSerializer,
        responses={201: PendingMemberSerializer},
    )
    @action(detail=True, methods=["post"], url_path="add_member", filter_backends=[])
    def add_member(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        organization = self.get_object()
        serializer = AddMemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation = services.invitation_create(
            WriteContext.from_request(request),
            organization=organization,
            role=data["role"],
            user_id=data.get("user_id"),
            email=data.get("email"),
        )
        body = PendingMemberSerializer(invitation).data
        return Response(
            sqal_single(body, "Invitation sent") if self.sqal_mode else body, status=status.HTTP_201_CREATED
        )
