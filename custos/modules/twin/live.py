"""Twin data for Socket.IO (``request_data`` answers and ``dashboard_update``), registered with the events app.

``request_data {type, filters}`` answers, over the caller's organizations (``filters.organization_id``
narrows to one of them):

* ``health_data`` (``device_id?``): the latest stored health of each device, as ``GET
  /api/health-scores?details=true`` gives it, one item per device;
* ``device_status`` (``device_id?``, ``status?``, ``device_type?``, ``limit`` 1-1000, default 1000):
  the devices in the twin shape with their latest reading, ``total`` and the status distribution;
* ``analytics`` (``device_id?``, ``hours`` 1-168, default 24): with a device, its anomaly and failure
  predictions (``GET /api/predictions``); without, the dashboard figures (``GET /api/dashboard``).

``dashboard_update`` carries the dashboard figures of one organization.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import serializers

from custos.devices.api.serializers import TwinDeviceSerializer
from custos.devices.choices import DEVICE_ID_PATTERN, DeviceStatus
from custos.devices.models import Device
from custos.devices.selectors import device_get, with_latest_reading
from custos.events.providers import register_dashboard_provider, register_data_provider
from custos.kernel.errors import ValidationFailed
from custos.modules.twin import selectors, services

MAX_HOURS = 168
MAX_DEVICES = 1000


class _Filters(serializers.Serializer):
    organization_id = serializers.UUIDField(required=False)
    device_id = serializers.RegexField(DEVICE_ID_PATTERN, max_length=64, required=False)


class HealthFilters(_Filters):
    pass


class StatusFilters(_Filters):
    status = serializers.ChoiceField(choices=DeviceStatus.values, required=False)
    device_type = serializers.CharField(max_length=64, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_DEVICES, default=MAX_DEVICES)


class AnalyticsFilters(_Filters):
    hours = serializers.IntegerField(min_value=1, max_value=MAX_HOURS, default=24)


def _valid(serializer_class: type[serializers.Serializer], filters: dict[str, Any]) -> dict[str, Any]:
    serializer = serializer_class(data=filters)
    if not serializer.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in serializer.errors.items()
        )
        raise ValidationFailed(f"Invalid filters: {problems}")
    return dict(serializer.validated_data)


def _scope(organization_ids: Sequence[Any], params: dict[str, Any]) -> list[Any]:
    if "organization_id" not in params:
        return list(organization_ids)
    if params["organization_id"] not in set(organization_ids):
        raise ValidationFailed("filters.organization_id: not one of your organizations.")
    return [params["organization_id"]]


def _devices(organization_ids: Sequence[Any], params: dict[str, Any]) -> list[Device]:
    if "device_id" in params:
        return [device_get(organization_ids=organization_ids, device_id=params["device_id"])]
    return list(
        Device.objects.filter(organization_id__in=list(organization_ids)).order_by("device_id", "organization_id")
    )


def health_data(*, user: Any, organization_ids: Sequence[Any], filters: dict[str, Any]) -> list[dict[str, Any]]:
    params = _valid(HealthFilters, filters)
    devices = _devices(_scope(organization_ids, params), params)
    latest = services.latest_health_records(devices)
    items = []
    for device in devices:
        record = latest.get(device.pk)
        items.append(
            {
                "device_id": device.device_id,
                "organization_id": str(device.organization_id),
                "health_score": device.health_score,
                "efficiency_score": device.efficiency_score,
                "status": record.status if record else None,
                "components": record.components if record else None,
                "computed_at": selectors.iso_z(record.computed_at) if record else None,
            }
        )
    return items


def device_status(*, user: Any, organization_ids: Sequence[Any], filters: dict[str, Any]) -> dict[str, Any]:
    params = _valid(StatusFilters, filters)
    scope = _scope(organization_ids, params)
    devices = Device.objects.filter(organization_id__in=scope)
    if "device_id" in params:
        devices = devices.filter(pk=device_get(organization_ids=scope, device_id=params["device_id"]).pk)
    distribution = {status: 0 for status in DeviceStatus.values}
    for status in devices.values_list("status", flat=True):
        distribution[status] = distribution.get(status, 0) + 1
    if "status" in params:
        devices = devices.filter(status=params["status"])
    if "device_type" in params:
        devices = devices.filter(device_type=params["device_type"])
    chosen = list(with_latest_reading(devices.order_by("device_id", "organization_id"))[: params["limit"]])
    return {
        "devices": TwinDeviceSerializer(chosen, many=True).data,
        "total": devices.count(),
        "statusDistribution": distribution,
    }


def analytics(*, user: Any, organization_ids: Sequence[Any], filters: dict[str, Any]) -> dict[str, Any]:
    params = _valid(AnalyticsFilters, filters)
    scope = _scope(organization_ids, params)
    if "device_id" in params:
        device = device_get(organization_ids=scope, device_id=params["device_id"])
        return services.device_predictions(device, hours=params["hours"])
    return selectors.dashboard(organization_ids=scope)


def dashboard_update(*, organization_id: Any) -> dict[str, Any]:
    return selectors.dashboard(organization_ids=[organization_id])


register_data_provider("health_data", health_data)
register_data_provider("device_status", device_status)
register_data_provider("analytics", analytics)
register_dashboard_provider(dashboard_update)
