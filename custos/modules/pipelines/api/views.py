"""The pipeline document's pipelines, segments and monitoring configurations (``dialect = "pipeline"``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Value, When
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from custos.alerts.choices import SEVERITY_RANK, AlertStatus
from custos.alerts.models import Alert
from custos.api.permissions import OrganizationRolePermission
from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import DialectViewSet, TenantServiceViewSet
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import selectors, services
from custos.modules.pipelines.api import serializers as s
from custos.modules.pipelines.filters import (
    AnalysisResultFilter,
    ConfigurationFilter,
    PipelineAlertFilter,
    PipelineFilter,
    SatelliteImageFilter,
    SegmentFilter,
)
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)


def _write_schema(write: type, read: type) -> dict[str, Any]:
    return {
        "create": extend_schema(request=write, responses={201: read}),
        "update": extend_schema(request=write, responses=read),
        "partial_update": extend_schema(request=write, responses=read),
    }


def keep_parent(data: dict[str, Any], instance: Any, field: str, noun: str) -> None:
    """An update may repeat the row's parent (``field``) but never change it."""
    if field in data and data.pop(field) != getattr(instance, f"{field}_id"):
        parent = field.replace("_", " ").split()[-1]
        raise ValidationFailed(field_errors={field: [f"{noun} cannot move to another {parent}."]})


class PipelineScopedMixin:
    """Children of a pipeline: the pipeline named in the body must be one the caller can see."""

    def visible_pipeline(self, pipeline_id: Any) -> Pipeline:
        pipeline = Pipeline.objects.filter(organization_id__in=visible_org_ids(self.request), pk=pipeline_id).first()
        if pipeline is None:
            raise ValidationFailed(field_errors={"pipeline": [f'Invalid pk "{pipeline_id}" - object does not exist.']})
        return pipeline


class _RolePermission(OrganizationRolePermission):
    """Creation of a pipeline's child is authorised by the service against the pipeline's organization."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "organization_from_parent", False) and view.action == "create":
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


@extend_schema_view(**_write_schema(s.PipelineWriteSerializer, s.PipelineSerializer))
class PipelineViewSet(TenantServiceViewSet):
    dialect = "pipeline"
    queryset = Pipeline.objects.annotate(segment_count=Count("segments"))
    serializer_class = s.PipelineSerializer
    input_serializer_class = s.PipelineWriteSerializer
    permission_classes = (_RolePermission,)
    filterset_class = PipelineFilter
    search_fields = ("name", "description", "material")
    ordering_fields = ("name", "length_km", "created_at")
    ordering = ("name",)

    def service_create(self, data: dict[str, Any]) -> Pipeline:
        organization_id = current_organization_id(self.request)
        return services.pipeline_create(
            actor=self.request.user, organization_id=organization_id, data=data, request=self.request
        )

    def service_update(self, instance: Pipeline, data: dict[str, Any]) -> Pipeline:
        return services.pipeline_update(actor=self.request.user, pipeline=instance, data=data, request=self.request)

    def service_delete(self, instance: Pipeline) -> None:
        services.pipeline_delete(actor=self.request.user, pipeline=instance, request=self.request)

    @extend_schema(responses=s.SegmentSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="segments")
    def segments(self, request: Request, pk: Any = None) -> Response:
        pipeline = self.get_object()
        queryset = (
            PipelineSegment.objects.filter(pipeline=pipeline).select_related("pipeline").order_by("segment_number")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.SegmentSerializer(page, many=True).data)

    @extend_schema(
        responses=s.SatelliteImageSerializer(many=True),
        filters=False,
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="Days to look back (default 30)")],
    )
    @action(detail=True, methods=["get"], url_path="recent-images")
    def recent_images(self, request: Request, pk: Any = None) -> Response:
        pipeline = self.get_object()
        raw = request.query_params.get("days", "30")
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            raise ValidationFailed(field_errors={"days": ["A whole number of days from 1 to 3650."]})
        page = self.paginate_queryset(selectors.recent_images(pipeline=pipeline, days=int(raw)))
        return self.get_paginated_response(s.SatelliteImageSerializer(page, many=True).data)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["get"], url_path="recent_images")
    def recent_images_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.recent_images(request, pk)

    @extend_schema(responses=s.AnalysisSummarySerializer, filters=False)
    @action(detail=True, methods=["get"], url_path="analysis-summary")
    def analysis_summary(self, request: Request, pk: Any = None) -> Response:
        return Response(selectors.analysis_summary(pipeline=self.get_object()))

    @extend_schema(exclude=True)
    @action(detail=True, methods=["get"], url_path="analysis_summary")
    def analysis_summary_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.analysis_summary(request, pk)


@extend_schema_view(**_write_schema(s.SegmentWriteSerializer, s.SegmentSerializer))
class SegmentViewSet(PipelineScopedMixin, TenantServiceViewSet):
    dialect = "pipeline"
    queryset = PipelineSegment.objects.select_related("pipeline")
    serializer_class = s.SegmentSerializer
    input_serializer_class = s.SegmentWriteSerializer
    permission_classes = (_RolePermission,)
    organization_from_parent = True
    filterset_class = SegmentFilter
    search_fields = ("segment_name",)
    ordering_fields = ("segment_number", "risk_level", "last_monitored")
    ordering = ("pipeline__name", "segment_number")

    def service_create(self, data: dict[str, Any]) -> PipelineSegment:
        pipeline = self.visible_pipeline(data.pop("pipeline"))
        return services.segment_create(actor=self.request.user, pipeline=pipeline, data=data, request=self.request)

    def service_update(self, instance: PipelineSegment, data: dict[str, Any]) -> PipelineSegment:
        keep_parent(data, instance, "pipeline", "A segment")
        return services.segment_update(actor=self.request.user, segment=instance, data=data, request=self.request)

    def service_delete(self, instance: PipelineSegment) -> None:
        services.segment_delete(actor=self.request.user, segment=instance, request=self.request)

    @extend_schema(request=None, responses=s.SegmentSerializer)
    @action(detail=True, methods=["post"], url_path="update-monitoring")
    def update_monitoring(self, request: Request, pk: Any = None) -> Response:
        segment = services.segment_mark_monitored(actor=request.user, segment=self.get_object(), request=request)
        return self._present(segment)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="update_monitoring")
    def update_monitoring_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.update_monitoring(request, pk)


@extend_schema_view(**_write_schema(s.ConfigurationWriteSerializer, s.ConfigurationSerializer))
class ConfigurationViewSet(PipelineScopedMixin, TenantServiceViewSet):
    dialect = "pipeline"
    queryset = MonitoringConfiguration.objects.select_related("pipeline")
    serializer_class = s.ConfigurationSerializer
    input_serializer_class = s.ConfigurationWriteSerializer
    permission_classes = (_RolePermission,)
    organization_from_parent = True
    filterset_class = ConfigurationFilter
    search_fields = ("pipeline__name",)
    ordering_fields = ("created_at",)
    ordering = ("pipeline__name",)

    def service_create(self, data: dict[str, Any]) -> MonitoringConfiguration:
        pipeline = self.visible_pipeline(data.pop("pipeline"))
        return services.configuration_create(
            actor=self.request.user, pipeline=pipeline, data=data, request=self.request
        )

    def service_update(self, instance: MonitoringConfiguration, data: dict[str, Any]) -> MonitoringConfiguration:
        keep_parent(data, instance, "pipeline", "A configuration")
        return services.configuration_update(
            actor=self.request.user, configuration=instance, data=data, request=self.request
        )

    def service_delete(self, instance: MonitoringConfiguration) -> None:
        services.configuration_delete(actor=self.request.user, configuration=instance, request=self.request)


@extend_schema_view(
    create=extend_schema(request=s.SatelliteImageWriteSerializer, responses={201: s.SatelliteImageDetailSerializer}),
    update=extend_schema(request=s.SatelliteImageWriteSerializer, responses=s.SatelliteImageDetailSerializer),
    partial_update=extend_schema(request=s.SatelliteImageWriteSerializer, responses=s.SatelliteImageDetailSerializer),
)
class SatelliteImageViewSet(PipelineScopedMixin, TenantServiceViewSet):
    dialect = "pipeline"
    queryset = SatelliteImage.objects.select_related("pipeline").annotate(result_count=Count("results"))
    serializer_class = s.SatelliteImageDetailSerializer
    input_serializer_class = s.SatelliteImageWriteSerializer
    permission_classes = (_RolePermission,)
    organization_from_parent = True
    filterset_class = SatelliteImageFilter
    search_fields = ("satellite_name", "sensor")
    ordering_fields = ("image_date", "created_at")
    ordering = ("-image_date",)

    def service_create(self, data: dict[str, Any]) -> SatelliteImage:
        pipeline = self.visible_pipeline(data.pop("pipeline"))
        upload = data.pop("image_file", None)
        return services.image_create(
            actor=self.request.user, pipeline=pipeline, data=data, upload=upload, request=self.request
        )

    def service_update(self, instance: SatelliteImage, data: dict[str, Any]) -> SatelliteImage:
        keep_parent(data, instance, "pipeline", "An image")
        if "image_file" in data:
            raise ValidationFailed(field_errors={"image_file": ["The raster cannot be replaced; upload a new image."]})
        return services.image_update(actor=self.request.user, image=instance, data=data, request=self.request)

    def service_delete(self, instance: SatelliteImage) -> None:
        services.image_delete(actor=self.request.user, image=instance, request=self.request)

    @extend_schema(request=None, responses={202: s.AnalysisQueuedSerializer})
    @action(detail=True, methods=["post"])
    def analyze(self, request: Request, pk: Any = None) -> Response:
        image = self.get_object()
        task_id = services.image_request_analysis(actor=request.user, image=image, request=request)
        return Response({"status": "queued", "task_id": task_id, "image_id": image.pk}, status=202)

    @extend_schema(responses=s.AnalysisResultSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="analysis-results")
    def analysis_results(self, request: Request, pk: Any = None) -> Response:
        image = self.get_object()
        queryset = AnalysisResult.objects.filter(satellite_image=image).select_related("satellite_image__pipeline")
        page = self.paginate_queryset(queryset.order_by("-confidence_score", "created_at"))
        return self.get_paginated_response(s.AnalysisResultSerializer(page, many=True).data)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["get"], url_path="analysis_results")
    def analysis_results_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.analysis_results(request, pk)


@extend_schema_view(**_write_schema(s.AnalysisResultWriteSerializer, s.AnalysisResultSerializer))
class AnalysisResultViewSet(TenantServiceViewSet):
    dialect = "pipeline"
    queryset = AnalysisResult.objects.select_related("satellite_image__pipeline")
    serializer_class = s.AnalysisResultSerializer
    input_serializer_class = s.AnalysisResultWriteSerializer
    permission_classes = (_RolePermission,)
    organization_from_parent = True
    filterset_class = AnalysisResultFilter
    search_fields = ("analysis_type", "description")
    ordering_fields = ("confidence_score", "created_at", "severity")
    ordering = ("-created_at",)

    def _visible_image(self, image_id: Any) -> SatelliteImage:
        image = SatelliteImage.objects.filter(organization_id__in=visible_org_ids(self.request), pk=image_id).first()
        if image is None:
            raise ValidationFailed(
                field_errors={"satellite_image": [f'Invalid pk "{image_id}" - object does not exist.']}
            )
        return image

    def service_create(self, data: dict[str, Any]) -> AnalysisResult:
        image = self._visible_image(data.pop("satellite_image"))
        return services.result_create(actor=self.request.user, image=image, data=data, request=self.request)

    def service_update(self, instance: AnalysisResult, data: dict[str, Any]) -> AnalysisResult:
        keep_parent(data, instance, "satellite_image", "A result")
        return services.result_update(actor=self.request.user, result=instance, data=data, request=self.request)

    def service_delete(self, instance: AnalysisResult) -> None:
        services.result_delete(actor=self.request.user, result=instance, request=self.request)

    def _notes(self) -> str:
        body = s.ReviewSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["notes"]

    @extend_schema(request=s.ReviewSerializer, responses=s.AnalysisResultSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: Any = None) -> Response:
        result = services.result_verify(
            actor=request.user, result=self.get_object(), notes=self._notes(), request=request
        )
        return self._present(result)

    @extend_schema(request=s.ReviewSerializer, responses=s.AnalysisResultSerializer)
    @action(detail=True, methods=["post"], url_path="mark-false-positive")
    def mark_false_positive(self, request: Request, pk: Any = None) -> Response:
        result = services.result_mark_false_positive(
            actor=request.user, result=self.get_object(), notes=self._notes(), request=request
        )
        return self._present(result)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="mark_false_positive")
    def mark_false_positive_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.mark_false_positive(request, pk)

    @extend_schema(request=s.CreateAlertSerializer, responses={201: s.PipelineAlertSerializer})
    @action(detail=True, methods=["post"], url_path="create-alert")
    def create_alert(self, request: Request, pk: Any = None) -> Response:
        body = s.CreateAlertSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services.result_create_alert(
            actor=request.user,
            result=self.get_object(),
            recipients=body.validated_data.get("recipients"),
            request=request,
        )
        return Response(s.PipelineAlertSerializer(alert).data, status=201)

    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path="create_alert")
    def create_alert_underscored(self, request: Request, pk: Any = None) -> Response:
        return self.create_alert(request, pk)


class PriorityOrderingFilter(OrderingFilter):
    """``ordering=priority`` / ``-priority`` orders by urgency (low < medium < high < critical)."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip().replace("priority", "priority_rank") for term in raw.split(",") if term.strip()]
        return self.remove_invalid_fields(queryset, terms, view, request) or self.get_default_ordering(view)


_PRIORITY_RANK = Case(
    *(When(severity=level, then=Value(rank)) for level, rank in SEVERITY_RANK.items()), output_field=IntegerField()
)


@extend_schema_view(**_write_schema(s.PipelineAlertWriteSerializer, s.PipelineAlertSerializer))
class PipelineAlertViewSet(TenantServiceViewSet):
    """``/api/alerts/``: the pipeline document's monitoring alerts (the shared alert table, source pipeline)."""

    dialect = "pipeline"
    queryset = Alert.objects.filter(source="pipeline").annotate(priority_rank=_PRIORITY_RANK)
    serializer_class = s.PipelineAlertSerializer
    input_serializer_class = s.PipelineAlertWriteSerializer
    permission_classes = (_RolePermission,)
    filterset_class = PipelineAlertFilter
    filter_backends = (DjangoFilterBackend, SearchFilter, PriorityOrderingFilter)
    search_fields = ("message", "alert_type")
    ordering_fields = ("priority_rank", "created_at")
    ordering = ("-created_at",)

    def service_create(self, data: dict[str, Any]) -> Alert:
        return services.pipeline_alert_create(
            actor=self.request.user,
            organization_id=current_organization_id(self.request),
            data=data,
            request=self.request,
        )

    def service_update(self, instance: Alert, data: dict[str, Any]) -> Alert:
        return services.pipeline_alert_update(actor=self.request.user, alert=instance, data=data, request=self.request)

    def service_delete(self, instance: Alert) -> None:
        services.pipeline_alert_delete(actor=self.request.user, alert=instance, request=self.request)

    @extend_schema(request=s.ResolveSerializer, responses=s.PipelineAlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        body = s.ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = self.get_object()
        services.pipeline_alert_resolve(
            actor=request.user, alert=alert, notes=body.validated_data["notes"], request=request
        )
        return self._present(alert)

    @extend_schema(responses=s.PipelineAlertSerializer(many=True))
    @action(detail=False, methods=["get"])
    def active(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).exclude(status=AlertStatus.RESOLVED)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.PipelineAlertSerializer(page, many=True).data)


class DashboardViewSet(DialectViewSet):
    """``/api/dashboard/...`` of the pipeline document: aggregates over the caller's organizations."""

    dialect = "pipeline"
    pagination_class = None
    queryset = Pipeline.objects.none()  # for the schema generator; every action scopes its own data

    @extend_schema(responses=s.DashboardStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        return Response(selectors.dashboard_stats(org_ids=visible_org_ids(request)))

    @extend_schema(responses=s.RecentActivitySerializer)
    @action(detail=False, methods=["get"], url_path="recent-activity")
    def recent_activity(self, request: Request) -> Response:
        activity = selectors.recent_activity(org_ids=visible_org_ids(request))
        return Response(s.RecentActivitySerializer(activity).data)

    @extend_schema(responses=s.PipelineHealthSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="pipeline-health")
    def pipeline_health(self, request: Request) -> Response:
        rows = selectors.pipeline_health(org_ids=visible_org_ids(request))
        return Response(s.PipelineHealthSerializer(rows, many=True).data)
