"""The sqal report routes: ``/api/reports/`` (+ ``{id}/download``, ``types/``), ``/api/reports/scheduled/``,
``/api/reports/templates/`` on the tenant resource base."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.resources import TenantResource, Writes
from custos.api.tenancy import visible_org_ids
from custos.kernel.errors import NotFound
from custos.reports import selectors, services
from custos.reports.api import serializers as s
from custos.reports.filters import ReportFilter, ScheduleFilter, TemplateFilter
from custos.reports.models import Report, ReportTemplate, ScheduledReport


class ReportViewSet(TenantResource):
    """Generated reports. Any member lists them; members create (a Job generates the file); the creator
    or an owner/admin deletes one and downloads its file (anyone else: 404)."""

    dialect = "sqal"
    queryset = Report.objects.select_related("job")
    serializer_class = s.ReportOutput
    input_serializer_class = s.ReportInput
    filterset_class = ReportFilter
    ordering = ("-created_at",)
    ordering_fields = ("created_at", "completed_at", "name")
    search_fields = ("name",)
    writes = Writes(create=services.report_create, delete=services.report_delete)
    roles = {"download": None, "types": None}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        response.data["message"] = "Report generation started"
        return response

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
        operation_id="sqal_reports_download",
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        report = selectors.report_for_download(
            user=request.user, organization_ids=visible_org_ids(request), report_id=pk
        )
        if not default_storage.exists(report.file):
            raise NotFound("Report file not found.")
        return FileResponse(
            default_storage.open(report.file, "rb"),
            as_attachment=True,
            filename=report.filename,
            content_type=report.content_type or "application/octet-stream",
        )

    @extend_schema(responses=s.ReportTypesEnvelope, operation_id="sqal_reports_types")
    @action(detail=False, methods=["get"], pagination_class=None)
    def types(self, request: Request) -> Response:
        """The report types on offer (registered by the domain modules), with their sections and filters."""
        return Response({"data": selectors.report_types(), "message": "Success"})


class ReportTemplateViewSet(TenantResource):
    """Stored report layouts of the organization (kind, title, sections, filters), used by generation."""

    dialect = "sqal"
    queryset = ReportTemplate.objects.all()
    serializer_class = s.TemplateOutput
    input_serializer_class = s.TemplateInput
    filterset_class = TemplateFilter
    ordering = ("name",)
    search_fields = ("name",)
    writes = Writes(create=services.template_create, update=services.template_update, delete=services.template_delete)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class ScheduledReportViewSet(TenantResource):
    """Recurring reports: daily, weekly or monthly at a UTC time of day, e-mailed to recipients."""

    dialect = "sqal"
    queryset = ScheduledReport.objects.all()
    serializer_class = s.ScheduleOutput
    input_serializer_class = s.ScheduleInput
    filterset_class = ScheduleFilter
    ordering = ("name",)
    search_fields = ("name",)
    writes = Writes(create=services.schedule_create, update=services.schedule_update, delete=services.schedule_delete)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())
