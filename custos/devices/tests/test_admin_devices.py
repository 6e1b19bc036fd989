"""``/api/admin/devices/*`` (sqal): the shared device registry in the admin area; the twin's token route
``POST /api/admin/devices/{device_id}/token`` beside it keeps working."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from custos.api.testing import CrossTenantMixin, TenantRoute, assert_error_envelope
from custos.audit.models import AuditLog
from custos.devices.models import Device
from custos.devices.services import device_token_issue
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db


class TestAdminDevicesAcrossTenants(CrossTenantMixin):
    routes = (
        TenantRoute(
            list="/api/admin/devices/",
            detail="/api/admin/devices/{id}",
            write_methods=("patch", "delete"),
            list_params={"limit": 1000},
        ),
    )

    def object_id(self, obj):
        return obj.device_id

    def listed_id(self, obj):
        return str(obj.pk)

    @pytest.fixture
    def tenant_user(self, adam):
        return adam

    @pytest.fixture
    def own_object(self, boiler):
        return boiler

    @pytest.fixture
    def foreign_object(self, helios_meter):
        return helios_meter


def test_list_and_detail_in_the_sqal_shape(client_for, amir, boiler, pump, org_a):
    issued = device_token_issue(WriteContext.system(organization_id=org_a.pk), device_id="PUMP_7")
    Device.objects.filter(pk=boiler.pk).update(metadata={"firmware_version": "1.4.0", "wifi_rssi": -61})
    client = client_for(amir)
    body = client.get("/api/admin/devices/").json()
    assert [item["deviceId"] for item in body["items"]] == ["DEVICE_001", "PUMP_7"]
    assert body["pagination"]["totalItems"] == 2
    first, second = body["items"]
    assert set(first) == {
        "id",
        "deviceId",
        "deviceType",
        "name",
        "location",
        "unit",
        "status",
        "firmwareVersion",
        "healthScore",
        "lastSeen",
        "metadata",
        "hasToken",
        "tokenPrefix",
        "tokenLastUsedAt",
        "createdAt",
        "updatedAt",
    }
    assert (first["firmwareVersion"], first["metadata"]) == ("1.4.0", {"firmware_version": "1.4.0", "wifi_rssi": -61})
    assert (first["hasToken"], first["tokenPrefix"]) == (False, None)
    assert (second["hasToken"], second["tokenPrefix"], second["firmwareVersion"]) == (True, issued.prefix, None)
    assert issued.token not in str(body)
    filtered = client.get("/api/admin/devices/", {"device_type": "pressure_sensor"}).json()
    assert [item["deviceId"] for item in filtered["items"]] == ["PUMP_7"]
    detail = client.get("/api/admin/devices/PUMP_7")
    assert detail.status_code == 200
    assert detail.json()["data"]["name"] == "Pump 7"
    assert client.get("/api/admin/devices/PUMP_7/").json()["data"]["deviceId"] == "PUMP_7"


def test_an_admin_patches_a_device_with_one_audit_row(client_for, adam, boiler):
    response = client_for(adam).patch(
        "/api/admin/devices/DEVICE_001",
        {"name": "Boiler probe", "location": "Room 2", "metadata": {"rackSlot": 4}},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["location"], data["metadata"]) == ("Boiler probe", "Room 2", {"rackSlot": 4})
    boiler.refresh_from_db()
    assert (boiler.name, boiler.location, boiler.metadata) == ("Boiler probe", "Room 2", {"rackSlot": 4})
    audit = AuditLog.objects.get(resource_type="Device", action="UPDATE")
    assert audit.changes["name"] == {"old": "Boiler Temp Sensor 001", "new": "Boiler probe"}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"device_type": "Not A Type"}, "device_type"), ({"metadata": [1, 2]}, "metadata"), ({"name": "x" * 201}, "name")],
)
def test_bad_patches_are_422_and_change_nothing(client_for, adam, boiler, body, field):
    before = model_to_dict(boiler)
    response = client_for(adam).patch("/api/admin/devices/DEVICE_001", body, format="json")
    assert response.status_code == 422
    assert [item["loc"] for item in response.json()["detail"]] == [["body", field]]
    boiler.refresh_from_db()
    assert model_to_dict(boiler) == before


def test_members_and_viewers_read_but_may_not_change(client_for, amir, vera, boiler):
    before = model_to_dict(boiler)
    for user in (amir, vera):
        client = client_for(user)
        assert client.get("/api/admin/devices/DEVICE_001").status_code == 200
        assert_error_envelope(
            client.patch("/api/admin/devices/DEVICE_001", {"name": "x"}, format="json"), status=403, dialect="sqal"
        )
        assert_error_envelope(client.delete("/api/admin/devices/DEVICE_001"), status=403, dialect="sqal")
    boiler.refresh_from_db()
    assert model_to_dict(boiler) == before
    assert AuditLog.objects.filter(resource_type="Device").count() == 0


def test_an_admin_deletes_a_device(client_for, adam, boiler, pump):
    response = client_for(adam).delete("/api/admin/devices/PUMP_7")
    assert response.status_code == 204
    assert list(Device.objects.values_list("device_id", flat=True)) == ["DEVICE_001"]
    assert AuditLog.objects.filter(resource_type="Device", action="DELETE").count() == 1
    assert client_for(adam).get("/api/admin/devices/PUMP_7").status_code == 404


def test_anonymous_is_401_and_an_unknown_device_404(api_client, client_for, amir, boiler):
    assert_error_envelope(api_client.get("/api/admin/devices/"), status=401, dialect="sqal")
    assert_error_envelope(client_for(amir).get("/api/admin/devices/NOPE_1"), status=404, dialect="sqal")
    assert api_client.post("/api/admin/devices/", {"device_id": "X"}, format="json").status_code in (401, 405)


def test_the_token_route_beside_it_still_issues_tokens(client_for, alice, boiler):
    response = client_for(alice).post("/api/admin/devices/DEVICE_001/token", {}, format="json")
    assert response.status_code == 201
    assert response.json()["device_id"] == "DEVICE_001"
    listed = client_for(alice).get("/api/admin/devices/DEVICE_001").json()["data"]
    assert (listed["hasToken"], listed["tokenPrefix"]) == (True, response.json()["token_prefix"])
