"""``/api/organizations/invitations/``: the caller's pending invitations; accept, decline (by id or by the
mailed token); revoke (the organization's OWNER/ADMIN). Joining an organization happens only here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.viewsets import DialectViewSet
from custos.kernel.context import WriteContext
from custos.ops.throttles import SettingsRateThrottle
from custos.orgs import selectors, services
from custos.orgs.api.serializers import (
    InvitationSerializer,
    InvitationTokenSerializer,
    MembershipSerializer,
    PendingMemberSerializer,
)
from custos.orgs.models import Invitation

UUID_REGEX = "[0-9a-fA-F-]{36}"


class InvitationViewSet(mixins.ListModelMixin, DialectViewSet):
    dialect = "enginel"
    serializer_class = InvitationSerializer
    permission_classes = (IsAuthenticated,)
    throttle_classes = (SettingsRateThrottle,)
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_value_regex = UUID_REGEX

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return selectors.invitation_list_for_invitee(user=self.request.user)

    def _token(self, request: Request) -> str:
        form = InvitationTokenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return form.validated_data["token"]

    def _membership(self, membership: Any) -> Response:
        return Response(MembershipSerializer(membership).data)

    @extend_schema(summary="My pending invitations", responses=InvitationSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Accept an invitation addressed to me", request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"], url_path="accept")
    def accept(self, request: Request, pk: Any = None) -> Response:
        return self._membership(services.invitation_accept(WriteContext.from_request(request), invitation_id=pk))

    @extend_schema(summary="Decline an invitation addressed to me", request=None, responses=InvitationSerializer)
    @action(detail=True, methods=["post"], url_path="decline")
    def decline(self, request: Request, pk: Any = None) -> Response:
        invitation = services.invitation_decline(WriteContext.from_request(request), invitation_id=pk)
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(
        summary="Accept an invitation with the mailed token",
        operation_id="api_organizations_invitations_accept_by_token",
        request=InvitationTokenSerializer,
        responses=MembershipSerializer,
    )
    @action(detail=False, methods=["post"], url_path="accept", url_name="accept-token")
    def accept_token(self, request: Request) -> Response:
        token = self._token(request)
        return self._membership(services.invitation_accept(WriteContext.from_request(request), token=token))

    @extend_schema(
        summary="Decline an invitation with the mailed token",
        operation_id="api_organizations_invitations_decline_by_token",
        request=InvitationTokenSerializer,
        responses=InvitationSerializer,
    )
    @action(detail=False, methods=["post"], url_path="decline", url_name="decline-token")
    def decline_token(self, request: Request) -> Response:
        token = self._token(request)
        invitation = services.invitation_decline(WriteContext.from_request(request), token=token)
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(
        summary="Revoke a pending invitation (OWNER or ADMIN of its organization)",
        request=None,
        responses=PendingMemberSerializer,
    )
    @action(detail=True, methods=["post"], url_path="revoke")
    def revoke(self, request: Request, pk: Any = None) -> Response:
        invitation = services.invitation_revoke(WriteContext.from_request(request), invitation_id=pk)
        return Response(PendingMemberSerializer(invitation).data)
