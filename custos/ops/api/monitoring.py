"""Monitoring presenters: enginel ``/api/monitoring/*`` (staff) and twin ``/api/system_metrics``."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.viewsets import DialectAPIView
from custos.ops import selectors
from custos.ops.throttles import SettingsRateThrottle, SystemMetricsThrottle


class HoursSerializer(serializers.Serializer):
    hours = serializers.IntegerField(min_value=1, max_value=168, required=False)


def _hours(request: Request, default: int) -> int:
    query = HoursSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("hours", default)


_HOURS = OpenApiParameter("hours", OpenApiTypes.INT, description="Window in hours (1-168)")
_Object = OpenApiTypes.OBJECT


class MonitoringView(DialectAPIView):
    dialect = "enginel"
    permission_classes = (IsAuthenticated, IsAdminUser)
    throttle_classes = (SettingsRateThrottle,)


class MonitoringDashboardView(MonitoringView):
    @extend_schema(summary="Monitoring dashboard (staff)", responses=_Object)
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard())


class MonitoringErrorsView(MonitoringView):
    @extend_schema(summary="Server errors of the last hours (staff)", parameters=[_HOURS], responses=_Object)
    def get(self, request: Request) -> Response:
        return Response(selectors.errors(hours=_hours(request, 24)))


class MonitoringPerformanceView(MonitoringView):
    @extend_schema(summary="Per-endpoint performance (staff)", parameters=[_HOURS], responses=_Object)
    def get(self, request: Request) -> Response:
        return Response(selectors.performance(hours=_hours(request, 1)))


class SystemMetricsView(DialectAPIView):
    """twin ``/api/system_metrics``: machine figures (psutil) and real availability checks."""

    dialect = "twin"
    permission_classes = (IsAuthenticated,)
    throttle_classes = (SystemMetricsThrottle,)

    @extend_schema(
        summary="System performance metrics",
        responses=inline_serializer(
            "SystemMetrics",
            {
                "timestamp": serializers.DateTimeField(),
                "cpu_percent": serializers.FloatField(),
                "memory_percent": serializers.FloatField(),
                "disk_percent": serializers.FloatField(),
                "active_connections": serializers.IntegerField(),
                "cache_available": serializers.BooleanField(),
                "database_available": serializers.BooleanField(),
                "celery_available": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        figures = selectors.machine()
        available = selectors.availability()
        return Response(
            {
                "timestamp": timezone.now(),
                "cpu_percent": figures["cpu_percent"],
                "memory_percent": figures["memory_percent"],
                "disk_percent": figures["disk_percent"],
                "active_connections": selectors.websocket_connections(),
                "cache_available": available["cache"],
                "database_available": available["database"],
                "celery_available": available["queue"],
                "audit_chain_intact": available.get("audit", True),
                "load_average": figures["load_average"],
                "memory_used_mb": figures["memory_used_mb"],
                "process_rss_mb": figures["process_rss_mb"],
            }
        )
