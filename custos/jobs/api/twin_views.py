"""twin job routes: ``/api/tasks/start_report``, ``/api/tasks/status/<id>``, ``/api/export_data`` and the
owner-only downloads ``/reports/<name>``, ``/exports/<name>``."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectAPIView
from custos.events.selectors import user_role
from custos.jobs import selectors, services
from custos.jobs.models import Job, JobStatus
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound, PermissionDenied
from custos.ops.throttles import WindowThrottle


class ReportThrottle(WindowThrottle):
    scope = "twin-report"

    def limit(self) -> int:
        return 5


class ExportThrottle(WindowThrottle):
    scope = "twin-export"

    def limit(self) -> int:
        return 10


class TaskAcceptedOutput(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.CharField()


class TwinTaskStatusOutput(serializers.Serializer):
    task_id = serializers.CharField()
    status = serializers.CharField()
    result = serializers.JSONField(required=False)
    error = serializers.CharField(required=False)


class ReportInput(serializers.Serializer):
    days = serializers.IntegerField(required=False, min_value=1, max_value=365, default=7)


class ExportInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=("json", "csv"), required=False, default="json")
    days = serializers.IntegerField(required=False, min_value=1, max_value=365, default=7)


class StartReportView(DialectAPIView):
    """Start the health report job (admins only: platform staff, organization owners and admins)."""

    dialect = "twin"
    # api_settings resolves the dotted paths of DEFAULT_THROTTLE_CLASSES to the classes (typed as str).
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ReportThrottle]  # type: ignore[list-item]

    @extend_schema(request=ReportInput, responses={202: TaskAcceptedOutput}, operation_id="twin_tasks_start_report")
    def post(self, request: Request) -> Response:
        if user_role(user=request.user) != "admin":
            raise PermissionDenied("Only administrators can start reports.")
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization_id = services.job_organization_for(user=request.user, organization_ids=visible_org_ids(request))
        job = services.job_create(
            WriteContext.from_request(request),
            organization_id=organization_id,
            job_type="health_report",
            task_name="custos.jobs.health_report",
            parameters={"days": data.validated_data["days"]},
        )
        return Response({"task_id": job.task_id, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class TaskStatusView(DialectAPIView):
    dialect = "twin"

    @extend_schema(responses=TwinTaskStatusOutput, operation_id="twin_tasks_status")
    def get(self, request: Request, task_id: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=task_id)
        body: dict = {"task_id": job.task_id, "status": job.status}
        if job.status == JobStatus.SUCCESS:
            body["result"] = job.result
        elif job.status == JobStatus.FAILURE:
            body["error"] = job.error
        return Response(body)


class FormatIsAParameter(DefaultContentNegotiation):
    """``?format=`` is this route's own parameter (the file format), not DRF's renderer override."""

    # DRF passes the view's renderer list (indexable), not any iterable.
    def select_renderer(  # type: ignore[override]
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple:
        return renderers[0], renderers[0].media_type


class ExportDataView(DialectAPIView):
    """Start an export of the caller's job history (``format`` json|csv, ``days``)."""

    dialect = "twin"
    content_negotiation_class = FormatIsAParameter
    # api_settings resolves the dotted paths of DEFAULT_THROTTLE_CLASSES to the classes (typed as str).
    throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES, ExportThrottle]  # type: ignore[list-item]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
            OpenApiParameter("days", OpenApiTypes.INT),
        ],
        responses={202: TaskAcceptedOutput},
        operation_id="twin_export_data",
    )
    def get(self, request: Request) -> Response:
        data = ExportInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        organization_id = services.job_organization_for(user=request.user, organization_ids=visible_org_ids(request))
        job = services.job_create(
            WriteContext.from_request(request),
            organization_id=organization_id,
            job_type="export",
            task_name="custos.jobs.export_data",
            parameters={"format": data.validated_data["format"], "days": data.validated_data["days"]},
        )
        return Response({"task_id": job.task_id, "status": job.status}, status=status.HTTP_202_ACCEPTED)


class JobFileView(DialectAPIView):
    """A file a job produced; only the job's owner may download it (anyone else: 404)."""

    dialect = "twin"
    folder = "reports"

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, filename: str) -> FileResponse:
        job = (
            Job.objects.filter(
                owner=request.user,
                status=JobStatus.SUCCESS,
                result_filename=filename,
                result_file__startswith=f"{self.folder}/",
            )
            .order_by("-completed_at")
            .first()
        )
        if job is None or not default_storage.exists(job.result_file):
            raise NotFound("File not found.")
        return FileResponse(default_storage.open(job.result_file, "rb"), as_attachment=True, filename=filename)


class ReportFileView(JobFileView):
    folder = "reports"


class ExportFileView(JobFileView):
    folder = "exports"
