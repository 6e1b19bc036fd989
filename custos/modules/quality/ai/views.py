"""``/api/ai/*`` of the sqal document (docs/sqal-ai.md): the model registry, datasets, training Jobs,
prediction and metrics, on the tenant resource base (``{items, pagination}``, ``{data, message}``,
camelCase, 422 on bad input)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.resources import TenantAggregate, TenantResource, Writes
from custos.api.tenancy import current_organization_id
from custos.jobs.models import Job
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.ml.models import Dataset, MLModel, ModelStatus
from custos.ml.selectors import registry_metrics
from custos.modules.quality.ai import serializers as s
from custos.modules.quality.ai import services
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.models import Membership


class AIModelViewSet(TenantResource):
    """The model registry: every version of the organization's models (SQAL and twin tasks alike);
    ``?task=``, ``?status=``, ``?is_active=`` narrow it."""

    dialect = "sqal"
    queryset = MLModel.objects.all()
    serializer_class = s.presenter(s.model_item)
    input_serializer_class = s.ModelCreateInput
    update_serializer_class = s.ModelUpdateInput
    ordering = ("task", "scope", "-version")
    camel_ignore_fields = s.CAMEL_IGNORE
    writes = Writes(create=services.ai_model_create, update=services.ai_model_update, delete=services.ai_model_delete)
    roles = {"destroy": ADMIN_ROLES, "activate": ADMIN_ROLES, "deactivate": ADMIN_ROLES}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope(self, queryset: QuerySet) -> QuerySet:
        params = self.request.query_params
        if self.action != "list":
            return queryset
        task = params.get("task")
        if task:
            queryset = queryset.filter(task=task if "." in task else services.normalise_task(task))
        status = params.get("status")
        if status:
            if status not in ModelStatus.values:
                raise ValidationFailed(field_errors={"status": [f"One of {', '.join(ModelStatus.values)}."]})
            queryset = queryset.filter(status=status)
        active = params.get("is_active", params.get("isActive"))
        if active not in (None, ""):
            if active.lower() not in ("true", "false"):
                raise ValidationFailed(field_errors={"is_active": ["true or false."]})
            queryset = queryset.filter(is_active=active.lower() == "true")
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("task", OpenApiTypes.STR, description="Only this task (grade = sqal.grade)"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ModelStatus.values),
            OpenApiParameter("is_active", OpenApiTypes.BOOL),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())

    @extend_schema(request=None, responses=s.presenter(s.model_item))
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Make this trained version the active model of its task (the one active before is retired)."""
        model = self.get_object()
        activated = services.ai_model_activate(self.ctx.within(model.organization_id), model)
        return self.present(activated, message="Model activated")

    @extend_schema(request=None, responses=s.presenter(s.model_item))
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        """Take this version out of service: its task has no active model until another is activated."""
        model = self.get_object()
        deactivated = services.ai_model_deactivate(self.ctx.within(model.organization_id), model)
        return self.present(deactivated, message="Model deactivated")


class DatasetViewSet(TenantResource):
    """Datasets of stored samples with server grades or operator labels."""

    dialect = "sqal"
    queryset = Dataset.objects.all()
    serializer_class = s.presenter(s.dataset_item)
    input_serializer_class = s.DatasetCreateInput
    ordering = ("-created_at",)
    writes = Writes(create=services.dataset_build)
    http_method_names = ["get", "post", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class TrainingViewSet(TenantResource):
    """Training runs: Jobs of type ``sqal.ai.train``, visible like every Job (one's own, and all of an
    organization one administers)."""

    dialect = "sqal"
    queryset = Job.objects.filter(job_type=services.TRAIN_JOB_TYPE)
    serializer_class = s.presenter(s.training_item)
    input_serializer_class = s.TrainingCreateInput
    ordering = ("-created_at",)
    camel_ignore_fields = s.CAMEL_IGNORE
    writes = Writes(create=services.training_create)
    http_method_names = ["get", "post", "head", "options"]

    def scope(self, queryset: QuerySet) -> QuerySet:
        user: Any = self.request.user
        administered = Membership.objects.filter(user=user, role__in=ADMIN_ROLES).values("organization_id")
        return queryset.filter(Q(owner=user) | Q(organization_id__in=administered))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class AIViewSet(TenantAggregate):
    """``POST /api/ai/predict/`` and ``GET /api/ai/metrics/``."""

    dialect = "sqal"
    queryset = MLModel.objects.all()
    camel_ignore_fields = s.CAMEL_IGNORE

    @extend_schema(request=s.PredictInput, responses=s.presenter(s.prediction_item))
    @action(detail=False, methods=["post"])
    def predict(self, request: Request) -> Response:
        """The active model of the task answers for a stored sample or a frame's measurements (recorded)."""
        serializer = s.PredictInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        ctx = WriteContext.from_request(request, organization_id=current_organization_id(request))
        prediction = services.predict(ctx, data=dict(serializer.validated_data))
        sample = None
        if prediction.subject_id:
            from custos.modules.quality.models import QualitySample

            sample = QualitySample.objects.select_related("device").filter(pk=prediction.subject_id).first()
        return Response({"data": s.prediction_item(prediction, sample=sample), "message": "Success"})

    @extend_schema(
        parameters=[OpenApiParameter("task", OpenApiTypes.STR, description="Only this task (grade = sqal.grade)")],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def metrics(self, request: Request) -> Response:
        """Figures of the SQAL models from recorded training runs and predictions."""
        raw = request.query_params.get("task")
        task = services.normalise_task(raw) if raw else None
        return Response(
            registry_metrics(
                organization_ids=self.org_ids,
                task_prefix=services.TASK_PREFIX,
                task=task,
                job_types=(services.TRAIN_JOB_TYPE,),
            )
        )
