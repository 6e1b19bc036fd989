"""sqal routes of firmware and OTA (``/api/firmware/*``) and of the admin device registry
(``/api/admin/devices/*``); method in docs/sqal-firmware.md.

* ``/api/firmware/versions/`` (+ ``/{version_id}``): upload (multipart), list, detail, delete.
* ``/api/firmware/versions/{version_id}/download/``: the image, for a device with its own token
  (``Authorization: Device <token>``) or a member of the version's organization.
* ``/api/firmware/ota/`` (+ ``/{update_id}``, ``/{update_id}/cancel/``): campaigns.
* ``/api/admin/devices/`` (+ ``/{device_id}``): the shared registry (``custos.devices.models.Device``).

Reads: any member; writes: OWNER/ADMIN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import django_filters
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from custos.api.conventions import get_dialect
from custos.api.renderers import CamelCaseORJSONRenderer
from custos.api.resources import TenantResource, Writes
from custos.api.tenancy import visible_org_ids
from custos.api.viewsets import DialectAPIView
from custos.devices import firmware, selectors
from custos.devices import services as device_services
from custos.devices.api.firmware_serializers import (
    AdminDeviceSerializer,
    AdminDeviceUpdateSerializer,
    FirmwareUploadSerializer,
    FirmwareVersionSerializer,
    OtaCreateSerializer,
    OtaUpdateDetailSerializer,
    OtaUpdateSerializer,
)
from custos.devices.api.views import MemberOrDevice
from custos.devices.authentication import DeviceTokenAuthentication
from custos.devices.choices import DEVICE_ID_PATTERN
from custos.devices.models import Device, FirmwareVersion, OtaStatus, OtaUpdate, RolloutStrategy
from custos.kernel.errors import NotFound, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES

UPLOAD_MARGIN = 1024 * 1024


# Documented by a pattern: an enum named "status" is taken by other documents' components.
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(OtaStatus.values)})$"})
class OtaStatusFilter(django_filters.ChoiceFilter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=OtaStatus.choices, **kwargs)


class OtaUpdateFilter(django_filters.FilterSet):
    status = OtaStatusFilter()
    rollout_strategy = django_filters.ChoiceFilter(choices=RolloutStrategy.choices)

    class Meta:
        model = OtaUpdate
        fields = ("status", "rollout_strategy")  # the form's other fields and its framing


def firmware_body_limit() -> int:
    return firmware.max_firmware_bytes() + UPLOAD_MARGIN


class FirmwareVersionViewSet(TenantResource):
    """Firmware images of the caller's organizations, newest version first."""

    dialect = "sqal"
    queryset = FirmwareVersion.objects.all()
    serializer_class = FirmwareVersionSerializer
    input_serializer_class = FirmwareUploadSerializer
    lookup_url_kwarg = "version_id"
    search_fields = ("version", "name")
    ordering_fields = ("created_at", "version", "name", "file_size")
    writes = Writes(create=firmware.firmware_version_create, delete=firmware.firmware_version_delete)
    roles = {"create": ADMIN_ROLES, "destroy": ADMIN_ROLES}
    http_method_names = ["get", "post", "delete", "head", "options"]
    max_body_bytes = staticmethod(firmware_body_limit)  # the body-size middleware's bound for this route

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())


class OtaUpdateViewSet(TenantResource):
    """OTA campaigns of the caller's organizations, newest first (``status`` filters)."""

    dialect = "sqal"
    queryset = firmware.campaigns_with_figures(OtaUpdate.objects.all())
    serializer_class = OtaUpdateSerializer
    input_serializer_class = OtaCreateSerializer
    lookup_url_kwarg = "update_id"
    filterset_class = OtaUpdateFilter
    search_fields = ("name", "firmware_version")
    ordering_fields = ("created_at", "status", "started_at", "finished_at")
    writes = Writes(create=firmware.ota_update_create)
    roles = {"create": ADMIN_ROLES, "cancel": ADMIN_ROLES}
    http_method_names = ["get", "post", "head", "options"]

    def _detail(self, campaign: OtaUpdate, *, message: str | None = None) -> Response:
        fresh = self.get_queryset().get(pk=campaign.pk)
        data = OtaUpdateDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(get_dialect(self.dialect).present_one(data, message=message))

    @extend_schema(responses=OtaUpdateDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=None, responses=OtaUpdateDetailSerializer)
    @action(detail=True, methods=["post"], url_path="cancel")
    def cancel(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        campaign = firmware.ota_update_cancel(self.ctx.within(campaign.organization_id), campaign)
        return self._detail(campaign, message="Cancelled")


class OctetStreamRenderer(BaseRenderer):
    """Lets a client ask for ``application/octet-stream``; the file itself is a ``FileResponse``, and an
    error body rendered here is JSON."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        if isinstance(data, (bytes, bytearray)):
            return bytes(data)
        return CamelCaseORJSONRenderer().render(data, "application/json", renderer_context)


class FirmwareDownloadView(DialectAPIView):
    """The firmware image: for a device with its own token (versions of its organization only), or for
    a member of the version's organization. Another organization's version is a 404."""

    dialect = "sqal"
    # The stubs type the setting as its dotted paths; at runtime api_settings holds the imported classes.
    authentication_classes = [
        *cast(Sequence[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES),
        DeviceTokenAuthentication,
    ]
    permission_classes = [MemberOrDevice]
    renderer_classes = [CamelCaseORJSONRenderer, OctetStreamRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        """Errors are JSON (the sqal envelope) whatever the client asked for."""
        response = super().handle_exception(exc)
        self.request.accepted_renderer = CamelCaseORJSONRenderer()
        self.request.accepted_media_type = "application/json"
        return response

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The image; `X-Firmware-SHA256` and `ETag` carry its SHA-256."
            )
        },
        operation_id="sqal_firmware_download",
    )
    def get(self, request: Request, version_id: str) -> FileResponse:
        device = getattr(request, "device", None)
        organization_ids = [device.organization_id] if device is not None else visible_org_ids(request)
        version = firmware.firmware_for_download(organization_ids=organization_ids, version_id=version_id)
        try:
            handle = version.file.open("rb")
        except FileNotFoundError:
            raise NotFound("The firmware file is missing from storage.") from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"firmware-{version.version}.bin",
            content_type="application/octet-stream",
        )
        response["X-Firmware-SHA256"] = version.sha256
        response["X-Firmware-Version"] = version.version
        response["ETag"] = f'"{version.sha256}"'
        response["Cache-Control"] = "private, no-transform"
        return response


class AdminDeviceViewSet(TenantResource):
    """The shared device registry in the sqal admin area, looked up by the organization's device key."""

    dialect = "sqal"
    queryset = Device.objects.select_related("credential")
    serializer_class = AdminDeviceSerializer
    input_serializer_class = AdminDeviceUpdateSerializer
    lookup_field = "device_id"
    lookup_url_kwarg = "device_id"
    lookup_value_regex = DEVICE_ID_PATTERN.strip("^$")
    camel_ignore_fields = ("metadata",)
    filterset_fields = ("device_type", "status", "location")
    search_fields = ("device_id", "name", "location")
    ordering_fields = ("device_id", "name", "device_type", "status", "last_seen", "created_at")
    writes = Writes(update=device_services.device_update, delete=device_services.device_delete)
    roles = {"update": ADMIN_ROLES, "partial_update": ADMIN_ROLES, "destroy": ADMIN_ROLES}
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def scope(self, queryset: Any) -> Any:
        device_id = self.kwargs.get(self.lookup_url_kwarg)
        if device_id is not None and selectors.device_id_is_ambiguous(
            organization_ids=visible_org_ids(self.request), device_id=device_id
        ):
            raise ValidationFailed(
                f"Several of your organizations have a device {device_id!r}: name one in the X-Organization header.",
                code="ORGANIZATION_REQUIRED",
            )
        return queryset

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.present(self.get_object())
