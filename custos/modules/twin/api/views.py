"""Twin analytics routes: predictions, health scores, recommendations, the dashboard, device events and
model training. Every answer is computed over the caller's organizations (``X-Organization`` narrows)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import DialectAPIView
from custos.audit.writes import require_role
from custos.devices.choices import DEVICE_ID_PATTERN
from custos.devices.models import Device, DeviceEventType
from custos.devices.selectors import device_get
from custos.devices.services import device_event_record
from custos.kernel.context import WriteContext
from custos.ml.selectors import model_summary, models_for
from custos.ml.services import training_start
from custos.modules.twin import selectors, services
from custos.modules.twin.api import throttles
from custos.modules.twin.api.serializers import EventOutput, ModelOutput, RecommendationOutput, TrainOutput
from custos.modules.twin.tasks import TRAIN_JOB_TYPE, TRAIN_TASK
from custos.orgs.choices import ADMIN_ROLES

MAX_HOURS = 168


class PredictionsQuery(serializers.Serializer):
    device_id = serializers.RegexField(DEVICE_ID_PATTERN, max_length=64)
    hours = serializers.IntegerField(min_value=1, max_value=MAX_HOURS, default=24)


class HealthQuery(serializers.Serializer):
    device_id = serializers.RegexField(DEVICE_ID_PATTERN, max_length=64, required=False)
    details = serializers.BooleanField(default=False)
    refresh = serializers.BooleanField(default=False)


class EventInput(serializers.Serializer):
    timestamp = serializers.JSONField(help_text="ISO 8601 date-time or epoch seconds.")
    type = serializers.ChoiceField(choices=DeviceEventType.values)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class TrainInput(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=365, default=services.TRAIN_DAYS)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class PredictionsView(DialectAPIView):
    """Anomalies among a device's readings of the last ``hours`` (default 24, at most 168) and its
    failure risk per hour; ``failure_prediction.model`` is null (with a reason) until failures are recorded."""

    dialect = "twin"
    throttle_classes = (throttles.PredictionsThrottle,)

    @extend_schema(parameters=[PredictionsQuery], responses=OpenApiTypes.OBJECT, operation_id="twin_predictions")
    def get(self, request: Request) -> Response:
        params = _valid(PredictionsQuery, request.query_params)
        device = device_get(organization_ids=visible_org_ids(request), device_id=params["device_id"])
        return Response(services.device_predictions(device, hours=params["hours"]))


class HealthScoresView(DialectAPIView):
    """``{device_id: score}`` of the latest stored scores; ``refresh=true`` scores now (member role),
    ``details=true`` answers ``{device_id: {health_score, efficiency_score, status, components, computed_at}}``."""

    dialect = "twin"
    throttle_classes = (throttles.HealthScoresThrottle,)

    @extend_schema(parameters=[HealthQuery], responses=OpenApiTypes.OBJECT, operation_id="twin_health_scores")
    def get(self, request: Request) -> Response:
        params = _valid(HealthQuery, request.query_params)
        organization_ids = visible_org_ids(request)
        devices = Device.objects.filter(organization_id__in=organization_ids)
        if "device_id" in params:
            devices = [device_get(organization_ids=organization_ids, device_id=params["device_id"])]
        devices = list(devices)
        unscored = [d for d in devices if d.health_score is None]
        to_score = devices if params["refresh"] else unscored
        ctx = WriteContext.from_request(request)
        by_org: dict[Any, list[Device]] = {}
        for device in to_score:
            by_org.setdefault(device.organization_id, []).append(device)
        for organization_id, group in by_org.items():
            if params["refresh"]:
                require_role(ctx, organization_id=organization_id)
            services.health_scores_update(ctx.within(organization_id), devices=group)
        if not params["details"]:
            return Response({d.device_id: d.health_score for d in devices})
        latest = services.latest_health_records(devices)
        body = {}
        for device in devices:
            record = latest.get(device.pk)
            body[device.device_id] = {
                "health_score": device.health_score,
                "efficiency_score": device.efficiency_score,
                "status": record.status if record else None,
                "components": record.components if record else None,
                "computed_at": selectors.iso_z(record.computed_at) if record else None,
            }
        return Response(body)


class RecommendationsView(DialectAPIView):
    """Recommendations of every device, highest composite score first."""

    dialect = "twin"
    throttle_classes = (throttles.RecommendationsThrottle,)

    @extend_schema(responses=RecommendationOutput(many=True), operation_id="twin_recommendations")
    def get(self, request: Request) -> Response:
        devices = list(Device.objects.filter(organization_id__in=visible_org_ids(request)))
        return Response(services.recommendations_for(devices))


class DashboardView(DialectAPIView):
    dialect = "twin"
    throttle_classes = (throttles.DashboardThrottle,)

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="twin_dashboard")
    def get(self, request: Request) -> Response:
        return Response(selectors.dashboard(organization_ids=visible_org_ids(request)))


class DeviceEventsView(DialectAPIView):
    """Record a failure, maintenance or repair of a device (what the failure model learns from)."""

    dialect = "twin"

    @extend_schema(
        request=EventInput,
        responses={201: EventOutput},
        operation_id="twin_device_event_record",
    )
    def post(self, request: Request, device_id: str) -> Response:
        device = device_get(organization_ids=visible_org_ids(request), device_id=device_id)
        data = request.data if isinstance(request.data, dict) else {}
        event = device_event_record(WriteContext.from_request(request, organization_id=device.organization_id),
                                    device=device, data=data)  # fmt: skip
        body = {
            "id": str(event.pk),
            "device_id": device.device_id,
            "timestamp": selectors.iso_z(event.timestamp),
            "type": event.event_type,
            "notes": event.notes,
        }
        return Response(body, status=201)


class ModelsView(DialectAPIView):
    """The organization's trained models (GET) and a training run as a Job (POST, OWNER/ADMIN)."""

    dialect = "twin"

    @extend_schema(responses=ModelOutput(many=True), operation_id="twin_models_list")
    def get(self, request: Request) -> Response:
        models = models_for(organization_ids=visible_org_ids(request)).filter(task__startswith="twin.")
        return Response([{**(model_summary(m) or {}), "is_active": m.is_active} for m in models])

    @extend_schema(request=TrainInput, responses={202: TrainOutput}, operation_id="twin_models_train")
    def post(self, request: Request) -> Response:
        params = _valid(TrainInput, request.data)
        organization_id = current_organization_id(request)
        ctx = WriteContext.from_request(request, organization_id=organization_id)
        require_role(ctx, organization_id=organization_id, roles=ADMIN_ROLES)
        job = training_start(
            ctx, organization_id=organization_id, task_name=TRAIN_TASK, parameters=params, job_type=TRAIN_JOB_TYPE
        )
        job.refresh_from_db()
        return Response({"task_id": job.task_id, "status": job.status}, status=202)
