"""REST resources of the sqal document over quality samples (``/api/analysis``, ``/api/sensors``,
``/api/dashboard``): sqal conventions (``{items, pagination}``, camelCase keys, 422 on bad input)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.pagination import ValueRows
from custos.api.resources import TenantAggregate, TenantResource, Writes
from custos.devices import services as device_services
from custos.devices.models import Device
from custos.kernel.errors import ValidationFailed
from custos.modules.quality import presenters, selectors
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.api.history import HISTORY_COLUMNS, HistoryRow
from custos.modules.quality.models import QualitySample
from custos.orgs.choices import ADMIN_ROLES


def _presenter(function: Any) -> type[serializers.Serializer]:
    class Presenter(serializers.Serializer):
        def to_representation(self, instance: Any) -> Any:
            return function(instance)

    Presenter.__name__ = Presenter.__qualname__ = "Sqal" + function.__name__.title().replace("_", "")
    return Presenter


def _moment(params: Any, name: str, *, end: bool = False) -> datetime | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        try:
            day = parse_date(raw)
        except ValueError:
            day = None
        if day is None:
            raise ValidationFailed(field_errors={name: ["An ISO 8601 date or date-time."]})
        value = datetime.combine(day, datetime.min.time())
        if end:
            value += timedelta(days=1) - timedelta(microseconds=1)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def sample_filters(params: Any) -> dict[str, Any]:
    """``grade, device_id, start_date, end_date`` (camelCase accepted too)."""
    grade = params.get("grade") or None
    if grade is not None and grade not in GRADES:
        raise ValidationFailed(field_errors={"grade": [f"One of {', '.join(GRADES)}."]})
    start = _moment(params, "start_date") or _moment(params, "startDate")
    end = _moment(params, "end_date", end=True) or _moment(params, "endDate", end=True)
    if start and end and start > end:
        raise ValidationFailed(field_errors={"end_date": ["Must not be before start_date."]})
    return {
        "grade": grade,
        "device_id": params.get("device_id") or params.get("deviceId") or None,
        "start": start,
        "end": end,
    }


class SampleResource(TenantResource):
    """Read-only views of stored samples, filtered by the history filters."""

    dialect = "sqal"
    queryset = QualitySample.objects.select_related("device")
    ordering = ("-timestamp",)
    camel_ignore_fields = presenters.SNAKE_BLOCKS
    writes = Writes()
    http_method_names = ["get", "head", "options"]

    def scope(self, queryset: Any) -> Any:
        return selectors.filter_samples(queryset, **sample_filters(self.request.query_params)).order_by("-timestamp")

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class AnalysisHistoryViewSet(SampleResource):
    serializer_class = _presenter(presenters.history_item)

    def paginate_queryset(self, queryset: Any) -> Any:
        return super().paginate_queryset(ValueRows(queryset, HISTORY_COLUMNS, HistoryRow._make))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sample = self.get_object()
        return Response({"data": presenters.analysis_detail(sample), "message": "Success"})


def _tof_raw(sample: QualitySample) -> dict[str, Any]:
    return {
        "time": sample.timestamp.isoformat(),
        "device_id": sample.device.device_id,
        "sample_id": sample.sample_id,
        "vl53l8ch": presenters.tof_block(sample),
        "has_bins": sample.bins is not None,
        "device_reported": (sample.device_results or {}).get("vl53l8ch", {}),
    }


def _spectral_raw(sample: QualitySample) -> dict[str, Any]:
    return {
        "time": sample.timestamp.isoformat(),
        "device_id": sample.device.device_id,
        "sample_id": sample.sample_id,
        "as7341": presenters.spectral_block(sample),
        "device_reported": (sample.device_results or {}).get("as7341", {}),
    }


def _fusion(sample: QualitySample) -> dict[str, Any]:
    return {
        "time": sample.timestamp.isoformat(),
        "device_id": sample.device.device_id,
        "sample_id": sample.sample_id,
        "fusion": presenters.fusion_block(sample),
        "blockchain": presenters.blockchain_block(sample, qr=False),
    }


class Vl53l8chRawViewSet(SampleResource):
    serializer_class = _presenter(_tof_raw)


class As7341RawViewSet(SampleResource):
    serializer_class = _presenter(_spectral_raw)


class FusionViewSet(SampleResource):
    serializer_class = _presenter(_fusion)


def _device(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.pk),
        "device_id": device.device_id,
        "device_type": device.device_type,
        "name": device.name,
        "location": device.location,
        "status": device.status,
        "metadata": device.metadata,
        "last_seen": device.last_seen.isoformat() if device.last_seen else None,
        "created_at": device.created_at.isoformat(),
    }


class SensorDeviceWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    device_type = serializers.CharField(max_length=64, required=False)
    metadata = serializers.DictField(required=False)


class SensorDeviceViewSet(TenantResource):
    """The stations on the shared device registry (``custos.devices``), looked up by ``device_id``."""

    dialect = "sqal"
    queryset = Device.objects.all()
    serializer_class = _presenter(_device)
    input_serializer_class = SensorDeviceWriteSerializer
    lookup_field = "device_id"
    lookup_url_kwarg = "device_id"
    camel_ignore_fields = ("metadata",)
    writes = Writes(update=device_services.device_update)
    roles = {"update": ADMIN_ROLES, "partial_update": ADMIN_ROLES}
    http_method_names = ["get", "patch", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class AnalysisAggregateViewSet(TenantAggregate):
    """``/api/analysis/stats|grade-distribution|timeseries/``, with the history filters."""

    dialect = "sqal"
    queryset = QualitySample.objects.all()

    def samples(self) -> Any:
        return selectors.filter_samples(selectors.samples_of(self.org_ids), **sample_filters(self.request.query_params))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        return Response(selectors.stats(self.samples()))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="grade-distribution")
    def grade_distribution(self, request: Request) -> Response:
        distribution = selectors.grade_distribution(self.samples())
        total = sum(distribution.values())
        return Response(
            {
                "total": total,
                "distribution": [
                    {
                        "grade": grade,
                        "count": count,
                        "percentage": round(100.0 * count / total, 2) if total else 0.0,
                    }
                    for grade, count in distribution.items()
                ],
            }
        )

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def timeseries(self, request: Request) -> Response:
        interval = request.query_params.get("interval", "hour")
        if interval not in ("hour", "day"):
            raise ValidationFailed(field_errors={"interval": ["hour or day."]})
        return Response({"interval": interval, "points": selectors.timeseries(self.samples(), interval=interval)})


class QualityDashboardViewSet(TenantAggregate):
    """``/api/dashboard/metrics|foie-gras-metrics|foie-gras-alerts/`` over the last ``days`` (default 7)."""

    dialect = "sqal"
    queryset = QualitySample.objects.all()

    def samples(self) -> Any:
        raw = self.request.query_params.get("days", "7")
        if not str(raw).isdigit() or not 1 <= int(raw) <= 366:
            raise ValidationFailed(field_errors={"days": ["An integer between 1 and 366."]})
        queryset = selectors.samples_of(self.org_ids).filter(timestamp__gte=selectors.period(int(raw)))
        device_id = self.request.query_params.get("device_id")
        return selectors.for_device(queryset, device_id) if device_id else queryset

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def metrics(self, request: Request) -> Response:
        return Response(selectors.dashboard_metrics(self.samples()))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="foie-gras-metrics")
    def foie_gras_metrics(self, request: Request) -> Response:
        return Response(selectors.foie_gras_metrics(self.samples()))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="foie-gras-alerts")
    def foie_gras_alerts(self, request: Request) -> Response:
        alerts = selectors.foie_gras_alerts(self.samples())
        return Response({"alerts": alerts, "count": len(alerts)})
