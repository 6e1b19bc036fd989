"""Job routes: access ``/tasks/``, enginel ``/api/analysis-jobs/``. Parse, call a service, present."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectAPIView, DialectViewSet
from custos.jobs import selectors, services
from custos.jobs.api import serializers as s
from custos.jobs.filters import JobFilter
from custos.jobs.models import Job
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

ACCESS_TASKS = {"add": "custos.jobs.add", "long": "custos.jobs.long", "process": "custos.jobs.process"}


class TaskCreateView(DialectAPIView):
    """``POST /tasks/``: start an add, long-running or data-processing task."""

    dialect = "access"

    @extend_schema(request=s.TaskCreateInput, responses={202: s.TaskCreatedOutput}, operation_id="tasks_create")
    def post(self, request: Request) -> Response:
        data = s.TaskCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["type"]
        organization_id = services.job_organization_for(user=request.user, organization_ids=visible_org_ids(request))
        job = services.job_create(
            WriteContext.from_request(request),
            organization_id=organization_id,
            job_type=kind,
            task_name=ACCESS_TASKS[kind],
            parameters=data.validated_data["parameters"],
        )
        body = {"task_id": job.task_id, "task_type": kind, "parameters": job.parameters, "status": job.status}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class TaskDetailView(DialectAPIView):
    """``GET /tasks/{task_id}/``: the task's status with its result or error."""

    dialect = "access"

    @extend_schema(responses=s.TaskStatusOutput, operation_id="tasks_retrieve")
    def get(self, request: Request, task_id: str) -> Response:
        job = selectors.job_get(user=request.user, job_id=task_id)
        return Response(s.task_status_body(job))


def _int_param(request: Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be an integer.", field_errors={name: ["A valid integer is required."]}
        ) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed(
            f"{name} must be between {minimum} and {maximum}.",
            field_errors={name: [f"Must be between {minimum} and {maximum}."]},
        )
    return value


class AnalysisJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    """enginel ``/api/analysis-jobs/``: every job the caller may see (their own; all of an organization
    they administer), with Celery status, progress, cancellation and aggregates."""

    dialect = "enginel"
    serializer_class = s.AnalysisJobSerializer
    filterset_class = JobFilter
    search_fields = ("job_type", "error")
    ordering_fields = ("created_at", "started_at", "completed_at", "duration_seconds", "status")
    ordering = ("-created_at",)
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return selectors.job_visible(user=self.request.user)

    def get_object(self) -> Job:
        return selectors.job_get(user=self.request.user, job_id=self.kwargs["pk"])

    @extend_schema(responses=s.JobStatusOutput)
    @action(detail=True, methods=["get"], url_path="status")
    def status(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        body = {
            "status": s.ENGINEL_STATUS[job.status],
            "state": job.status,
            "result": job.result,
            "error": job.error or None,
            "celery_info": {
                "task_id": job.task_id,
                "name": job.task_name,
                "args": [job.subject_id] if job.subject_id else [],
                "kwargs": {"job_id": job.task_id},
                "worker": job.worker or None,
                "retries": job.retries,
            },
        }
        return Response(body)

    @extend_schema(responses=s.EnginelProgressOutput)
    @action(detail=True, methods=["get"], url_path="progress")
    def progress(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        return Response(
            {
                "current": job.progress_current,
                "total": job.progress_total,
                "percent": job.percent,
                "status_message": job.progress_message,
            }
        )

    @extend_schema(request=s.CancelInput, responses=s.CancelOutput)
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.job_cancel(WriteContext.from_request(request), job, force=data.validated_data["force"])
        return Response({"message": "Job cancelled successfully", "status": s.ENGINEL_STATUS[job.status]})

    @extend_schema(responses=s.ActiveOutput)
    @action(detail=False, methods=["get"], url_path="active")
    def active(self, request: Request) -> Response:
        running = list(selectors.job_running(user=request.user)[:200])
        live = selectors.worker_active_task_ids()
        tasks = [
            {
                "task_id": job.task_id,
                "name": job.task_name,
                "job_type": job.job_type.upper(),
                "args": [job.subject_id] if job.subject_id else [],
                "worker": job.worker or None,
                "time_start": job.started_at.timestamp() if job.started_at else None,
                "progress": s.progress_body(job),
                "on_live_worker": None if live is None else job.task_id in live,
            }
            for job in running
        ]
        return Response({"count": len(tasks), "live_workers": live is not None, "tasks": tasks})

    @extend_schema(
        parameters=[OpenApiParameter("job_type", OpenApiTypes.STR, description="Only jobs of this type")],
        responses=s.MetricsOutput,
    )
    @action(detail=False, methods=["get"], url_path="metrics")
    def metrics(self, request: Request) -> Response:
        job_type = (request.query_params.get("job_type") or "").strip() or None
        if job_type is not None and len(job_type) > 64:
            raise ValidationFailed("job_type is at most 64 characters.", field_errors={"job_type": ["Too long."]})
        return Response(selectors.job_metrics(user=request.user, job_type=job_type))

    @extend_schema(
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description="Look back this many days (1-365, default 7)")
        ],
        responses=s.FailuresOutput,
    )
    @action(detail=False, methods=["get"], url_path="failures")
    def failures(self, request: Request) -> Response:
        days = _int_param(request, "days", 7, 1, 365)
        report = selectors.job_failures(user=request.user, days=days)
        report["failures"] = s.AnalysisJobSerializer(
            report["failures"], many=True, context=self.get_serializer_context()
        ).data
        return Response(report)
