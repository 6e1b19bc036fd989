"""The settings record's two presenters: pipeline ``/api/settings/`` and sqal ``/api/admin/settings/``.

Staff only. Every change is validated (the model's validators), audited with the changed values, and
takes effect at once (``SystemSettings.load()`` reads through the shared cache, cleared on save).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.viewsets import DialectAPIView, DialectViewSet
from custos.kernel.context import WriteContext
from custos.ops import services
from custos.ops.models import SystemSettings
from custos.ops.selectors import settings_current
from custos.ops.throttles import SettingsRateThrottle


class SystemSettingsSerializer(serializers.ModelSerializer):
    updated_by = serializers.UUIDField(source="updated_by_id", read_only=True, allow_null=True)

    class Meta:
        model = SystemSettings
        fields = ("id", *services.EDITABLE_SETTINGS, "updated_by", "created_at", "updated_at")
        read_only_fields = ("id", "updated_by", "created_at", "updated_at")


def _apply(request: Request, *, partial: bool) -> SystemSettings:
    current = settings_current()
    serializer = SystemSettingsSerializer(current, data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return services.settings_update(WriteContext.from_request(request), data=dict(serializer.validated_data))


@extend_schema_view(
    list=extend_schema(summary="System settings (the one record, as a list)"),
    retrieve=extend_schema(summary="System settings"),
    update=extend_schema(summary="Update the system settings"),
    partial_update=extend_schema(summary="Partially update the system settings"),
)
class SettingsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DialectViewSet):
    dialect = "pipeline"
    serializer_class = SystemSettingsSerializer
    permission_classes = (IsAuthenticated, IsAdminUser)
    throttle_classes = (SettingsRateThrottle,)
    filter_backends = ()
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self) -> QuerySet:
        settings_current()  # the record exists from the first read on
        return SystemSettings.objects.all()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object()  # a wrong id is a 404
        record = _apply(request, partial=kwargs.get("partial", False))
        return Response(SystemSettingsSerializer(record).data)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(summary="The current system settings")
    @action(detail=False, methods=["get"], url_path="current", pagination_class=None)
    def current(self, request: Request) -> Response:
        return Response(SystemSettingsSerializer(settings_current()).data)

    @extend_schema(summary="Update the system settings (no id needed)")
    @action(detail=False, methods=["put", "patch"], url_path="update-settings", pagination_class=None)
    def update_settings(self, request: Request) -> Response:
        record = _apply(request, partial=request.method == "PATCH")
        return Response(SystemSettingsSerializer(record).data)


_SqalSettings = inline_serializer(
    "SqalSettingsEnvelope", {"data": SystemSettingsSerializer(), "message": serializers.CharField()}
)


class AdminSettingsView(DialectAPIView):
    """sqal ``/api/admin/settings/``: GET and PATCH, ``{data, message}``, camelCase."""

    dialect = "sqal"
    permission_classes = (IsAuthenticated, IsAdminUser)
    throttle_classes = (SettingsRateThrottle,)
    serializer_class = SystemSettingsSerializer

    @extend_schema(summary="System settings (admin)", responses=_SqalSettings)
    def get(self, request: Request) -> Response:
        return Response({"data": SystemSettingsSerializer(settings_current()).data, "message": "Success"})

    @extend_schema(summary="Update system settings (admin)", request=SystemSettingsSerializer, responses=_SqalSettings)
    def patch(self, request: Request) -> Response:
        record = _apply(request, partial=True)
        return Response({"data": SystemSettingsSerializer(record).data, "message": "Settings updated"})
