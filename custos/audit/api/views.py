"""Read-only presenters of the audit log: pipeline ``/api/activity-logs/``, enginel ``/api/audit-logs/``
(with ``search/`` and ``export/``), sqal ``/api/admin/audit/``.

Tenancy: staff read every row; others the rows of their organizations and of their own actions.
Another organization's row is a 404 and never listed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.filtering import FilterBackend
from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectViewSet
from custos.audit.api.serializers import ActivityLogSerializer, AuditExportQuerySerializer, AuditLogSerializer
from custos.audit.exports import EXPORT_FORMATS, audit_export_record, export_rows
from custos.audit.filters import AuditLogFilter
from custos.audit.selectors import audit_search, audit_visible
from custos.kernel.context import WriteContext
from custos.ops.throttles import SettingsRateThrottle
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.models import Membership


def audit_scope(request: Request) -> QuerySet:
    user = request.user
    org_ids = None if user.is_staff else visible_org_ids(request)
    return audit_visible(user=user, org_ids=org_ids).order_by("-sequence")


class AuditViewSetBase(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    filter_backends = (FilterBackend,)  # ordering is a filter of AuditLogFilter (dialect names)
    throttle_classes = (SettingsRateThrottle,)
    filterset_class = AuditLogFilter

    def get_queryset(self) -> QuerySet:
        return audit_scope(self.request)


@extend_schema_view(
    list=extend_schema(summary="Activity log (read-only)"),
    retrieve=extend_schema(summary="One activity log entry"),
)
class ActivityLogViewSet(AuditViewSetBase):
    dialect = "pipeline"
    serializer_class = ActivityLogSerializer

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        return audit_search(queryset=queryset, text=self.request.query_params.get("search", ""))


_SEARCH_PARAM = OpenApiParameter("q", OpenApiTypes.STR, description="Text searched in action, resource and actor")
_EXPORT_PARAMS = [
    OpenApiParameter("format", OpenApiTypes.STR, enum=list(EXPORT_FORMATS), description="csv (default), json or pdf"),
    OpenApiParameter("start_date", OpenApiTypes.DATE),
    OpenApiParameter("end_date", OpenApiTypes.DATE),
]


@extend_schema_view(
    list=extend_schema(summary="Audit logs"),
    retrieve=extend_schema(summary="One audit log entry"),
)
class AuditLogViewSet(AuditViewSetBase):
    dialect = "enginel"
    serializer_class = AuditLogSerializer

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ``?format=csv|json|pdf`` names the export format here, not a DRF renderer.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(summary="Search audit logs", parameters=[_SEARCH_PARAM], responses=AuditLogSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="search")
    def search(self, request: Request) -> Response:
        text = request.query_params.get("q", request.query_params.get("search", ""))
        queryset = audit_search(queryset=self.filter_queryset(self.get_queryset()), text=text)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Export audit logs (csv, json, pdf)",
        parameters=_EXPORT_PARAMS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request: Request) -> HttpResponse:
        query = AuditExportQuerySerializer(data={"format": request.query_params.get("format", "csv") or "csv"})
        query.is_valid(raise_exception=True)
        export_format = query.validated_data["format"]
        queryset = self.filter_queryset(self.get_queryset())
        text = request.query_params.get("q", "")
        if text:
            queryset = audit_search(queryset=queryset, text=text)
        content, content_type, truncated = export_rows(queryset, export_format)
        # Exporting the trail is itself recorded (who took a copy of what).
        audit_export_record(
            WriteContext.from_request(request),
            export_format=export_format,
            filters=request.query_params.dict(),
            truncated=truncated,
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.{export_format}"'
        response["X-Export-Truncated"] = "true" if truncated else "false"
        return response


class IsStaffOrOrganizationAdmin(BasePermission):
    message = "Only staff or an organization OWNER/ADMIN may read the audit administration."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_staff:
            return True
        return Membership.objects.filter(
            user=user, role__in=list(ADMIN_ROLES), organization_id__in=visible_org_ids(request)
        ).exists()


@extend_schema_view(list=extend_schema(summary="Audit logs (admin)"))
class AdminAuditViewSet(mixins.ListModelMixin, DialectViewSet):
    """sqal ``/api/admin/audit/``: ``action``, ``resource_type``, ``skip``, ``limit``."""

    dialect = "sqal"
    serializer_class = AuditLogSerializer
    permission_classes = (IsAuthenticated, IsStaffOrOrganizationAdmin)
    filter_backends = (FilterBackend,)
    filterset_class = AuditLogFilter
    camel_ignore_fields = ("changes",)  # recorded values keep their own keys
    throttle_classes = (SettingsRateThrottle,)

    def get_queryset(self) -> QuerySet:
        return audit_scope(self.request)
