"""The pipeline document's pipelines, segments and monitoring configurations (``dialect = "pipeline"``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Value, When
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from custos.alerts.choices import SEVERITY_RANK, AlertStatus
from custos.alerts.models import Alert
from custos.api.filtering import FilterBackend
from custos.api.resources import Parent, TenantAggregate, TenantResource, Writes
from custos.kernel.errors import NotFound, ValidationFailed
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


class PipelineViewSet(TenantResource):
    dialect = "pipeline"
    queryset = selectors.with_segment_count(Pipeline.objects.all())
    serializer_class = s.PipelineSerializer
    input_serializer_class = s.PipelineWriteSerializer
    filterset_class = PipelineFilter
    search_fields = ("name", "description", "material")
    ordering_fields = ("name", "length_km", "created_at")
    ordering = ("name",)
    writes = Writes(create=services.pipeline_create, update=services.pipeline_update, delete=services.pipeline_delete)

    @extend_schema(responses=s.SegmentSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="segments")
    def segments(self, request: Request, pk: Any = None) -> Response:
        queryset = self.get_object().segments.select_related("pipeline").order_by("segment_number")
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

    @extend_schema(responses={200: s.SatelliteImageDetailSerializer, 404: None}, filters=False)
    @action(detail=True, methods=["get"], url_path="latest-image")
    def latest_image(self, request: Request, pk: Any = None) -> Response:
        image = selectors.latest_image(pipeline=self.get_object())
        if image is None:
            raise NotFound("This pipeline has no images yet.")
        return Response(s.SatelliteImageDetailSerializer(image, context=self.get_serializer_context()).data)

    @extend_schema(responses=s.AnalysisSummarySerializer, filters=False)
    @action(detail=True, methods=["get"], url_path="analysis-summary")
    def analysis_summary(self, request: Request, pk: Any = None) -> Response:
        return Response(selectors.analysis_summary(pipeline=self.get_object()))


class SegmentViewSet(TenantResource):
    dialect = "pipeline"
    queryset = PipelineSegment.objects.select_related("pipeline")
    serializer_class = s.SegmentSerializer
    input_serializer_class = s.SegmentWriteSerializer
    filterset_class = SegmentFilter
    search_fields = ("segment_name",)
    ordering_fields = ("segment_number", "risk_level", "last_monitored")
    ordering = ("pipeline__name", "segment_number")
    parent = Parent("pipeline", Pipeline)
    writes = Writes(create=services.segment_create, update=services.segment_update, delete=services.segment_delete)

    @extend_schema(request=None, responses=s.SegmentSerializer)
    @action(detail=True, methods=["post"], url_path="update-monitoring")
    def update_monitoring(self, request: Request, pk: Any = None) -> Response:
        segment = self.get_object()
        return self.present(services.segment_mark_monitored(self.ctx.within(segment.organization_id), segment))


class ConfigurationViewSet(TenantResource):
    dialect = "pipeline"
    queryset = MonitoringConfiguration.objects.select_related("pipeline")
    serializer_class = s.ConfigurationSerializer
    input_serializer_class = s.ConfigurationWriteSerializer
    filterset_class = ConfigurationFilter
    search_fields = ("pipeline__name",)
    ordering_fields = ("created_at",)
    ordering = ("pipeline__name",)
    parent = Parent("pipeline", Pipeline)
    writes = Writes(
        create=services.configuration_create,
        update=services.configuration_update,
        delete=services.configuration_delete,
    )


@extend_schema_view(
    create=extend_schema(request=s.SatelliteImageWriteSerializer, responses={201: s.SatelliteImageDetailSerializer}),
    update=extend_schema(request=s.SatelliteImageWriteSerializer, responses=s.SatelliteImageDetailSerializer),
    partial_update=extend_schema(request=s.SatelliteImageWriteSerializer, responses=s.SatelliteImageDetailSerializer),
)
class SatelliteImageViewSet(TenantResource):
    dialect = "pipeline"
    queryset = SatelliteImage.objects.select_related("pipeline").annotate(result_count=Count("results"))
    serializer_class = s.SatelliteImageDetailSerializer
    input_serializer_class = s.SatelliteImageWriteSerializer
    filterset_class = SatelliteImageFilter
    search_fields = ("satellite_name", "sensor")
    ordering_fields = ("image_date", "created_at")
    ordering = ("-image_date",)
    parent = Parent("pipeline", Pipeline)
    writes = Writes(create=services.image_create, update=services.image_update, delete=services.image_delete)

    @extend_schema(request=None, responses={202: s.AnalysisQueuedSerializer})
    @action(detail=True, methods=["post"])
    def analyze(self, request: Request, pk: Any = None) -> Response:
        """Queue an analysis Job; while one is pending or running for the image, its id is the answer."""
        image = self.get_object()
        job, queued = services.image_request_analysis(self.ctx.within(image.organization_id), image)
        body = {"status": "queued" if queued else "running", "task_id": str(job.task_id), "image_id": image.pk}
        return Response(body, status=202)

    @extend_schema(responses=s.AnalysisResultSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="analysis-results")
    def analysis_results(self, request: Request, pk: Any = None) -> Response:
        queryset = self.get_object().results.select_related("satellite_image__pipeline")
        page = self.paginate_queryset(queryset.order_by("-confidence_score", "created_at"))
        return self.get_paginated_response(s.AnalysisResultSerializer(page, many=True).data)


class AnalysisResultViewSet(TenantResource):
    dialect = "pipeline"
    queryset = AnalysisResult.objects.select_related("satellite_image__pipeline")
    serializer_class = s.AnalysisResultSerializer
    input_serializer_class = s.AnalysisResultWriteSerializer
    filterset_class = AnalysisResultFilter
    search_fields = ("analysis_type", "description")
    ordering_fields = ("confidence_score", "created_at", "severity")
    ordering = ("-created_at",)
    parent = Parent("satellite_image", SatelliteImage)
    writes = Writes(create=services.result_create, update=services.result_update, delete=services.result_delete)

    def _review(self, service: Any) -> Response:
        result = self.get_object()
        notes = self.valid_input(s.ReviewSerializer)["notes"]
        return self.present(service(self.ctx.within(result.organization_id), result, notes=notes))

    @extend_schema(request=s.ReviewSerializer, responses=s.AnalysisResultSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: Any = None) -> Response:
        return self._review(services.result_verify)

    @extend_schema(request=s.ReviewSerializer, responses=s.AnalysisResultSerializer)
    @action(detail=True, methods=["post"], url_path="mark-false-positive")
    def mark_false_positive(self, request: Request, pk: Any = None) -> Response:
        return self._review(services.result_mark_false_positive)

    @extend_schema(request=s.CreateAlertSerializer, responses={201: s.PipelineAlertSerializer})
    @action(detail=True, methods=["post"], url_path="create-alert")
    def create_alert(self, request: Request, pk: Any = None) -> Response:
        result = self.get_object()
        recipients = self.valid_input(s.CreateAlertSerializer).get("recipients")
        alert = services.result_create_alert(self.ctx.within(result.organization_id), result, recipients=recipients)
        return Response(s.PipelineAlertSerializer(alert).data, status=201)


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


class PipelineAlertViewSet(TenantResource):
    """``/api/alerts/``: the pipeline document's monitoring alerts (the shared alert table, source pipeline)."""

    dialect = "pipeline"
    queryset = Alert.objects.filter(source="pipeline").annotate(priority_rank=_PRIORITY_RANK)
    serializer_class = s.PipelineAlertSerializer
    input_serializer_class = s.PipelineAlertWriteSerializer
    filterset_class = PipelineAlertFilter
    filter_backends = (FilterBackend, SearchFilter, PriorityOrderingFilter)
    search_fields = ("message", "alert_type")
    ordering_fields = ("priority_rank", "created_at")
    ordering = ("-created_at",)
    writes = Writes(
        create=services.pipeline_alert_create,
        update=services.pipeline_alert_update,
        delete=services.pipeline_alert_delete,
    )

    @extend_schema(request=s.ResolveSerializer, responses=s.PipelineAlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        alert = self.get_object()
        notes = self.valid_input(s.ResolveSerializer)["notes"]
        return self.present(services.pipeline_alert_resolve(self.ctx.within(alert.organization_id), alert, notes=notes))

    @extend_schema(responses=s.PipelineAlertSerializer(many=True))
    @action(detail=False, methods=["get"])
    def active(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).exclude(status=AlertStatus.RESOLVED)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.PipelineAlertSerializer(page, many=True).data)


class DashboardViewSet(TenantAggregate):
    """``/api/dashboard/...`` of the pipeline document: aggregates over the caller's organizations."""

    dialect = "pipeline"
    queryset = Pipeline.objects.all()

    @extend_schema(responses=s.DashboardStatsSerializer)
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        return Response(selectors.dashboard_stats(org_ids=self.org_ids))

    @extend_schema(responses=s.RecentActivitySerializer)
    @action(detail=False, methods=["get"], url_path="recent-activity")
    def recent_activity(self, request: Request) -> Response:
        activity = selectors.recent_activity(org_ids=self.org_ids)
        return Response(s.RecentActivitySerializer(activity).data)

    @extend_schema(responses=s.PipelineHealthSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="pipeline-health")
    def pipeline_health(self, request: Request) -> Response:
        rows = selectors.pipeline_health(org_ids=self.org_ids)
        return Response(s.PipelineHealthSerializer(rows, many=True).data)
