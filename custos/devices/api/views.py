"""Twin routes of the device domain: the registry, device tokens, reading ingestion and history.

* ``/api/devices`` (+ ``/{device_id}``): a ``TenantResource`` looked up by the organization's own key.
* ``POST /api/admin/devices/{device_id}/token``: issue or rotate a device token (OWNER/ADMIN).
* ``POST /api/devices/{device_id}/readings`` and ``POST /api/readings``: ingestion, by a member or by
  the device itself (``Authorization: Device <token>``), JSON or CSV, with ``Idempotency-Key``.
* ``GET /api/historical_data``: a device's series, raw or bucketed in SQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any, cast

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from custos.alerts.services import alert_acknowledge
from custos.api.pagination import TwinPagination, ValueRows
from custos.api.parsers import ORJSONParser
from custos.api.resources import TenantResource, Writes
from custos.api.serializers import plain_columns
from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import DialectAPIView
from custos.devices import rules, selectors, services
from custos.devices.api.parsers import ReadingsCSVParser
from custos.devices.api.serializers import (
    DEVICE_ID_MESSAGE,
    AcceptedOutput,
    AlertRuleSerializer,
    AlertRuleWriteSerializer,
    DeviceReadingInput,
    DeviceWriteSerializer,
    HistoricalOutput,
    HistoricalQuery,
    ReadingInput,
    TokenIssueInput,
    TokenIssueOutput,
    TwinAlertAcknowledged,
    TwinAlertOutput,
    TwinAlertsQuery,
    TwinDeviceSerializer,
)
from custos.devices.authentication import DeviceTokenAuthentication
from custos.devices.choices import DEVICE_ID_PATTERN
from custos.devices.models import AlertRule, Device
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class DevicePagination(TwinPagination):
    default_limit = 1000  # the document's default for /api/devices


class DeviceResource(TenantResource):
    """The organization's devices, each with its latest ``value`` reading."""

    dialect = "twin"
    # Annotated once (the subqueries are resolved here, not per request); DRF clones it for each request.
    queryset = selectors.with_latest_reading(Device.objects.all())
    serializer_class = TwinDeviceSerializer
    input_serializer_class = DeviceWriteSerializer
    pagination_class = DevicePagination
    lookup_field = "device_id"
    lookup_value_regex = DEVICE_ID_PATTERN.strip("^$")
    filterset_fields = ("device_type", "status", "location")
    search_fields = ("device_id", "name", "location")
    ordering_fields = ("device_id", "name", "device_type", "status", "last_seen", "health_score")
    writes = Writes(create=services.device_create, update=services.device_update, delete=services.device_delete)
    roles = {"update": ADMIN_ROLES, "partial_update": ADMIN_ROLES, "destroy": ADMIN_ROLES}

    def scope(self, queryset: Any) -> Any:
        device_id = self.kwargs.get(self.lookup_field)
        if device_id is not None and selectors.device_id_is_ambiguous(
            organization_ids=visible_org_ids(self.request), device_id=device_id
        ):
            raise ValidationFailed(
                f"Several of your organizations have a device {device_id!r}: name one in the X-Organization header.",
                code="ORGANIZATION_REQUIRED",
            )
        return queryset

    def paginate_queryset(self, queryset: Any) -> Any:
        # A page is presented from its columns alone: no model instance per row.
        return super().paginate_queryset(ValueRows(queryset, plain_columns(TwinDeviceSerializer)))


class DeviceTokenView(DialectAPIView):
    """Issue a device token, registering the device first when the organization does not have it;
    issuing again rotates (the old token stops working). The token is in this answer only."""

    dialect = "twin"

    @extend_schema(request=TokenIssueInput, responses={201: TokenIssueOutput}, operation_id="twin_device_token_issue")
    def post(self, request: Request, device_id: str) -> Response:
        if not re.match(DEVICE_ID_PATTERN, device_id):
            raise ValidationFailed(field_errors={"device_id": [DEVICE_ID_MESSAGE]})
        data = TokenIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization_ids = visible_org_ids(request)
        try:
            organization_id = selectors.device_get(
                organization_ids=organization_ids, device_id=device_id
            ).organization_id
        except NotFound:
            organization_id = current_organization_id(request)
        issued = services.device_token_issue(
            WriteContext.from_request(request, organization_id=organization_id),
            device_id=device_id,
            device_type=data.validated_data.get("device_type"),
            name=data.validated_data.get("device_name"),
        )
        body = {
            "device_id": issued.device.device_id,
            "token": issued.token,
            "token_prefix": issued.prefix,
            "issued_at": drf_serializers.DateTimeField().to_representation(issued.issued_at),
            "rotated": issued.rotated,
            "device_created": issued.device_created,
        }
        return Response(body, status=201, headers={"Cache-Control": "no-store"})


class MemberOrDevice(BasePermission):
    """A logged-in user (roles are checked by the service) or a device with its own token."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(request, "device", None) is not None:
            return True
        return bool(request.user and request.user.is_authenticated)


def max_body_bytes() -> int:
    return int(getattr(settings, "DEVICES_INGEST_MAX_BODY_BYTES", 8 * 1024 * 1024))


class IngestView(DialectAPIView):
    dialect = "twin"
    # The stubs type the setting as its dotted paths; at runtime api_settings holds the imported classes.
    authentication_classes = [
        *cast(Sequence[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES),
        DeviceTokenAuthentication,
    ]
    permission_classes = [MemberOrDevice]
    parser_classes = [ORJSONParser, ReadingsCSVParser]
    csv_columns: tuple[str, ...] = ("timestamp", "value", "metric")
    max_body_bytes = staticmethod(max_body_bytes)  # the body-size middleware's bound for this route

    def rows(self, request: Request) -> Any:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body_bytes():
            raise services.PayloadTooLarge(f"The body has {length} bytes; at most {max_body_bytes()}.")
        data = request.data
        if isinstance(data, dict) and "readings" in data:
            data = data["readings"]
        if not isinstance(data, list):
            raise ValidationFailed(
                field_errors={"readings": ['A JSON array of readings, {"readings": [...]}, or text/csv.']}
            )
        return data

    def answer(self, result: services.IngestResult) -> Response:
        response = Response(result.body, status=result.status_code)
        if result.replayed:
            response[REPLAYED_HEADER] = "true"
        return response


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The first answer is kept per organization and replayed; nothing more is stored.",
)


class DeviceReadingsView(IngestView):
    """Readings of one device: ``[{timestamp, value, metric?}]``, ``{"readings": [...]}`` or text/csv
    ``timestamp,value[,metric]``. All or nothing: any bad row refuses the batch."""

    @extend_schema(
        request={"application/json": ReadingInput(many=True), "text/csv": OpenApiTypes.STR},
        responses={201: AcceptedOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        operation_id="twin_device_readings_ingest",
    )
    def post(self, request: Request, device_id: str) -> Response:
        ctx = WriteContext.from_request(request)
        if ctx.device is not None:
            if ctx.device.device_id != device_id:
                raise NotFound(f"Device {device_id!r} not found.")
            device = ctx.device
        else:
            device = selectors.device_get(organization_ids=visible_org_ids(request), device_id=device_id)
        result = services.readings_ingest(
            ctx.within(device.organization_id),
            device=device,
            rows=self.rows(request),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
        )
        return self.answer(result)


class ReadingsView(IngestView):
    """Readings of several devices: ``[{device_id, timestamp, value, metric?}]`` (or text/csv
    ``device_id,timestamp,value[,metric]``). All or nothing."""

    csv_columns = ("device_id", "timestamp", "value", "metric")

    @extend_schema(
        request={"application/json": DeviceReadingInput(many=True), "text/csv": OpenApiTypes.STR},
        responses={201: AcceptedOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        operation_id="twin_readings_ingest",
    )
    def post(self, request: Request) -> Response:
        ctx = WriteContext.from_request(request)
        organization_id = ctx.device.organization_id if ctx.device is not None else current_organization_id(request)
        result = services.readings_ingest(
            ctx.within(organization_id),
            rows=self.rows(request),
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER),
        )
        return self.answer(result)


class HistoricalDataView(DialectAPIView):
    """A device's series over the last ``hours``: the readings, or one ``agg`` per ``interval`` bucket."""

    dialect = "twin"

    @extend_schema(parameters=[HistoricalQuery], responses=HistoricalOutput, operation_id="twin_historical_data")
    def get(self, request: Request) -> Response:
        query = HistoricalQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        device = selectors.device_get(organization_ids=visible_org_ids(request), device_id=params["device_id"])
        interval = params.get("interval")
        series = selectors.reading_series(
            device=device,
            metric=params["metric"],
            hours=params["hours"],
            interval_seconds=interval,
            agg=params["agg"],
            limit=params["limit"],
        )
        moment = drf_serializers.DateTimeField()
        body: dict[str, Any] = {
            "device_id": device.device_id,
            "metric": params["metric"],
            "unit": device.unit,
            "timestamps": [moment.to_representation(ts) for ts in series.timestamps],
            "values": series.values,
        }
        if interval is not None:
            body["interval"] = interval
            body["agg"] = params["agg"]
        return Response(body)


# --- Alarm rules and the twin's alerts ------------------------------------------------------------


class AlertRuleResource(TenantResource):
    """The organization's alarm rules (``/api/alert-rules``): any member reads, OWNER/ADMIN write."""

    dialect = "twin"
    queryset = AlertRule.objects.select_related("device")
    serializer_class = AlertRuleSerializer
    input_serializer_class = AlertRuleWriteSerializer
    pagination_class = TwinPagination
    filterset_fields = ("metric", "severity", "enabled", "device_type")
    ordering_fields = ("name", "metric", "severity", "created_at")
    writes = Writes(create=rules.rule_create, update=rules.rule_update, delete=rules.rule_delete)
    roles = {
        "create": ADMIN_ROLES,
        "update": ADMIN_ROLES,
        "partial_update": ADMIN_ROLES,
        "destroy": ADMIN_ROLES,
    }


def _flag(value: str | None) -> bool | None:
    return None if value is None else value == "true"


class TwinAlertsView(DialectAPIView):
    """``GET /api/alerts``: the twin's alerts (raised by the alarm rules), newest first, as a plain array."""

    dialect = "twin"

    @extend_schema(parameters=[TwinAlertsQuery], responses=TwinAlertOutput(many=True), operation_id="twin_alerts_list")
    def get(self, request: Request) -> Response:
        query = TwinAlertsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        alerts = rules.twin_alerts(
            organization_ids=visible_org_ids(request),
            severity=params.get("severity"),
            acknowledged=_flag(params.get("acknowledged")),
            resolved=_flag(params.get("resolved")),
        )
        return Response([rules.twin_alert(alert) for alert in alerts[: params["limit"]]])


class TwinAlertAcknowledgeView(DialectAPIView):
    """``POST /api/alerts/acknowledge/{alert_id}``: acknowledge a twin alert (a member's write; pushes
    ``alert_acknowledged``). An alert of another organization, or none, is a 404."""

    dialect = "twin"

    @extend_schema(request=None, responses=TwinAlertAcknowledged, operation_id="twin_alert_acknowledge")
    def post(self, request: Request, alert_id: str) -> Response:
        try:
            pk = uuid.UUID(alert_id)
        except ValueError:
            raise NotFound("Alert not found.") from None
        alert = rules.twin_alerts(organization_ids=visible_org_ids(request)).filter(pk=pk).first()
        if alert is None:
            raise NotFound("Alert not found.")
        alert = alert_acknowledge(WriteContext.from_request(request, organization_id=alert.organization_id), alert)
        return Response({"message": "Alert acknowledged", "alert": rules.twin_alert(alert)})
