"""Cross-tenant checks of the device registry (``custos.api.testing.CrossTenantMixin``).

The list shows each device's ``id``; the detail route addresses it by ``device_id``: one class each."""

from __future__ import annotations

import pytest

from custos.api.testing import CrossTenantMixin, TenantRoute

pytestmark = pytest.mark.django_db


class _Devices:
    @pytest.fixture
    def tenant_user(self, alice):
        return alice

    @pytest.fixture
    def own_object(self, boiler):
        return boiler

    @pytest.fixture
    def foreign_object(self, helios_meter):
        return helios_meter


class TestDeviceListAcrossTenants(_Devices, CrossTenantMixin):
    routes = (TenantRoute(list="/api/devices"), TenantRoute(list="/api/devices/"))


class TestDeviceDetailAcrossTenants(_Devices, CrossTenantMixin):
    routes = (
        TenantRoute(detail="/api/devices/{id}", write_methods=("patch", "put", "delete")),
        TenantRoute(detail="/api/devices/{id}/", write_methods=("patch", "delete")),
    )

    def object_id(self, obj):
        return obj.device_id
