"""Device tokens: issued by OWNER/ADMIN, shown once, stored hashed, rotated; ``Authorization: Device``."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from custos.audit.models import AuditLog
from custos.devices.models import Device, DeviceCredential, Reading

pytestmark = pytest.mark.django_db

ONE = [{"timestamp": "2024-05-01T12:00:00Z", "value": 1.0}]


def _device(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def test_issue_for_a_registered_device_returns_the_token_once(alice, org_a, boiler, client_for):
    response = client_for(alice).post("/api/admin/devices/DEVICE_001/token", {}, format="json")
    assert response.status_code == 201
    body = response.json()
    credential = DeviceCredential.objects.get(device=boiler)
    assert body == {
        "device_id": "DEVICE_001",
        "token": body["token"],
        "token_prefix": body["token"][:12],
        "issued_at": credential.issued_at.isoformat().replace("+00:00", "Z"),
        "rotated": False,
        "device_created": False,
    }
    assert response["Cache-Control"] == "no-store"
    assert body["token"].startswith("dvt_") and len(body["token"]) > 40
    assert credential.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert body["token"] not in str(list(DeviceCredential.objects.values()))
    row = AuditLog.objects.get(action="ISSUE_TOKEN")
    assert (row.resource_type, row.resource_id, row.organization_id) == ("Device", str(boiler.pk), org_a.id)
    assert row.changes == {"token_prefix": body["token"][:12]}
    assert body["token"] not in str(list(AuditLog.objects.values()))


def test_issue_registers_a_missing_device(adam, org_a, client_for):
    response = client_for(adam).post(
        "/api/admin/devices/NEW_9/token", {"device_type": "humidity_sensor", "device_name": "Hall"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["device_created"] is True
    device = Device.objects.get(organization=org_a, device_id="NEW_9")
    assert (device.device_type, device.name) == ("humidity_sensor", "Hall")
    assert list(AuditLog.objects.order_by("sequence").values_list("action", "resource_type")) == [
        ("CREATE", "Device"),
        ("ISSUE_TOKEN", "Device"),
    ]


def test_issuing_again_rotates_and_the_old_token_stops_working(alice, boiler, client_for):
    client = client_for(alice)
    first = client.post("/api/admin/devices/DEVICE_001/token", {}, format="json").json()["token"]
    assert _device(first).post("/api/devices/DEVICE_001/readings", ONE, format="json").status_code == 201
    second = client.post("/api/admin/devices/DEVICE_001/token", {}, format="json").json()
    assert second["rotated"] is True
    refused = _device(first).post("/api/devices/DEVICE_001/readings", ONE, format="json")
    assert refused.status_code == 401
    assert refused.json() == {"error": "Authentication failed", "message": "Invalid device token."}
    assert _device(second["token"]).post("/api/devices/DEVICE_001/readings", ONE, format="json").status_code == 201
    assert DeviceCredential.objects.get(device=boiler).rotations == 1
    assert AuditLog.objects.filter(action="ROTATE_TOKEN").count() == 1
    assert Reading.objects.count() == 2


@pytest.mark.parametrize("persona", ["amir", "vera"])
def test_only_owners_and_admins_issue_tokens(request, persona, boiler, client_for):
    client = client_for(request.getfixturevalue(persona))
    assert client.post("/api/admin/devices/DEVICE_001/token", {}, format="json").status_code == 403
    assert client.post("/api/admin/devices/NEW_1/token", {}, format="json").status_code == 403
    assert not DeviceCredential.objects.exists()
    assert list(Device.objects.values_list("device_id", flat=True)) == ["DEVICE_001"]
    assert not AuditLog.objects.exists()


def test_another_organizations_device_is_never_touched(alice, org_a, helios_meter, device_client, client_for):
    theirs = device_client(helios_meter)
    before = DeviceCredential.objects.get(device=helios_meter).token_hash
    response = client_for(alice).post("/api/admin/devices/METER_9/token", {}, format="json")
    # The key is free in Northwind: Northwind gets a device of its own; Helios' is untouched.
    assert response.status_code == 201
    assert response.json()["device_created"] is True
    assert Device.objects.get(organization=org_a, device_id="METER_9").pk != helios_meter.pk
    assert DeviceCredential.objects.get(device=helios_meter).token_hash == before
    assert theirs.post("/api/devices/METER_9/readings", ONE, format="json").status_code == 201
    assert Reading.objects.get().device_id == helios_meter.pk


def test_bad_device_id_is_400(alice, client_for):
    response = client_for(alice).post("/api/admin/devices/" + "A" * 70 + "/token", {}, format="json")
    assert response.status_code == 400
    assert not Device.objects.exists()


@pytest.mark.parametrize("header", ["Device", "Device a b", "Device not-a-token"])
def test_bad_device_credentials_are_401(boiler, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.post("/api/devices/DEVICE_001/readings", ONE, format="json").status_code == 401
    assert not Reading.objects.exists()


def test_a_device_token_does_not_open_the_registry(boiler, device_client):
    client = device_client(boiler)
    assert client.get("/api/devices").status_code == 401
    assert client.get("/api/historical_data", {"device_id": "DEVICE_001"}).status_code == 401
    assert client.post("/api/admin/devices/DEVICE_001/token", {}, format="json").status_code == 401


def test_a_device_of_a_closed_organization_is_refused(boiler, device_client, org_a):
    client = device_client(boiler)
    org_a.is_active = False
    org_a.save(update_fields=["is_active"])
    assert client.post("/api/devices/DEVICE_001/readings", ONE, format="json").status_code == 401
    assert not Reading.objects.exists()
