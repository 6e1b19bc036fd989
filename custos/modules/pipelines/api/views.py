"""The pipeline document's pipelines, segments and monitoring configurations (``dialect = "pipeline"``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.permissions import OrganizationRolePermission
from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import TenantServiceViewSet
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import selectors, services
from custos.modules.pipelines.api import serializers as s
from custos.modules.pipelines.filters import ConfigurationFilter, PipelineFilter, SegmentFilter
from custos.modules.pipelines.models import MonitoringConfiguration, Pipeline, PipelineSegment


def _write_schema(write: type, read: type) -> dict[str, Any]:
    return {
        "create": extend_schema(request=write, responses={201: read}),
        "update": extend_schema(request=write, responses=read),
        "partial_update": extend_schema(request=write, responses=read),
    }


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
        if "pipeline" in data and data.pop("pipeline") != instance.pipeline_id:
            raise ValidationFailed(field_errors={"pipeline": ["A segment cannot move to another pipeline."]})
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
        if "pipeline" in data and data.pop("pipeline") != instance.pipeline_id:
            raise ValidationFailed(field_errors={"pipeline": ["A configuration cannot move to another pipeline."]})
        return services.configuration_update(
            actor=self.request.user, configuration=instance, data=data, request=self.request
        )

    def service_delete(self, instance: MonitoringConfiguration) -> None:
        services.configuration_delete(actor=self.request.user, configuration=instance, request=self.request)
