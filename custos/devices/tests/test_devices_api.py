"""The twin device registry: ``/api/devices`` and ``/api/devices/{device_id}``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from custos.audit.models import AuditLog
from custos.devices.models import Device, Reading
from custos.devices.tests.conftest import add_readings
from custos.orgs.models import Membership

pytestmark = pytest.mark.django_db


def _twin(moment):
    return moment.isoformat().replace("+00:00", "Z")


def test_list_is_a_plain_array_of_twin_device_objects(alice, boiler, pump, client_for):
    start = add_readings(boiler, [75.1, 75.5])
    add_readings(boiler, [3.0], metric="rpm")  # another metric is not the device's "value"
    response = client_for(alice).get("/api/devices")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(boiler.pk),
            "device_id": "DEVICE_001",
            "device_type": "temperature_sensor",
            "device_name": "Boiler Temp Sensor 001",
            "timestamp": _twin(start + timedelta(minutes=1)),
            "value": 75.5,
            "status": "normal",
            "health_score": 0.92,
            "efficiency_score": 0.88,
            "location": "Boiler Room 1",
            "unit": "°C",
            "metadata": {"floor": 1},
        },
        {
            "id": str(pump.pk),
            "device_id": "PUMP_7",
            "device_type": "pressure_sensor",
            "device_name": "Pump 7",
            "timestamp": None,
            "value": None,
            "status": "offline",
            "health_score": None,
            "efficiency_score": None,
            "location": "",
            "unit": "bar",
            "metadata": {},
        },
    ]


def test_list_limit_offset_and_filters(alice, boiler, pump, client_for):
    client = client_for(alice)
    assert [d["device_id"] for d in client.get("/api/devices", {"limit": 1}).json()] == ["DEVICE_001"]
    assert [d["device_id"] for d in client.get("/api/devices", {"limit": 1, "offset": 1}).json()] == ["PUMP_7"]
    assert [d["device_id"] for d in client.get("/api/devices", {"device_type": "pressure_sensor"}).json()] == ["PUMP_7"]
    assert [d["device_id"] for d in client.get("/api/devices", {"status": "normal"}).json()] == ["DEVICE_001"]
    # The trailing-slash form answers too (no redirect).
    assert client.get("/api/devices/").status_code == 200


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"status": "melting"}])
def test_list_bad_parameters_are_400_in_the_twin_envelope(alice, boiler, client_for, params):
    response = client_for(alice).get("/api/devices", params)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message", "details"}


def test_detail_is_the_device_object(alice, boiler, client_for):
    add_readings(boiler, [70.0])
    body = client_for(alice).get("/api/devices/DEVICE_001").json()
    assert body["device_id"] == "DEVICE_001"
    assert body["value"] == 70.0
    assert body["id"] == str(boiler.pk)


def test_unknown_device_is_404_in_the_twin_envelope(alice, client_for):
    response = client_for(alice).get("/api/devices/NOPE")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "message": "Not found."}


def test_anonymous_is_401(boiler, api_client):
    assert api_client.get("/api/devices").status_code == 401
    assert api_client.get("/api/devices/DEVICE_001").status_code == 401


def test_create_answers_201_with_the_device_and_audits(alice, org_a, client_for):
    response = client_for(alice).post(
        "/api/devices",
        {
            "device_id": "VIB_3",
            "device_type": "vibration_sensor",
            "device_name": "Fan vibration",
            "location": "Roof",
            "unit": "mm/s",
            "metadata": {"vendor": "acme"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    device = Device.objects.get(organization=org_a, device_id="VIB_3")
    assert response.json() == {
        "id": str(device.pk),
        "device_id": "VIB_3",
        "device_type": "vibration_sensor",
        "device_name": "Fan vibration",
        "timestamp": None,
        "value": None,
        "status": "offline",
        "health_score": None,
        "efficiency_score": None,
        "location": "Roof",
        "unit": "mm/s",
        "metadata": {"vendor": "acme"},
    }
    row = AuditLog.objects.get(resource_type="Device")
    assert (row.action, row.actor_id, row.resource_id, row.organization_id) == (
        "CREATE",
        str(alice.pk),
        str(device.pk),
        org_a.id,
    )


def test_free_device_types_are_allowed(amir, org_a, client_for):
    response = client_for(amir).post(
        "/api/devices", {"device_id": "GC-1", "device_type": "gas_chromatograph"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["device_type"] == "gas_chromatograph"


@pytest.mark.parametrize(
    "body",
    [
        {"device_type": "power_meter"},  # no device_id
        {"device_id": "has space", "device_type": "power_meter"},
        {"device_id": "A" * 65, "device_type": "power_meter"},
        {"device_id": "OK_1", "device_type": "Not A Type"},
        {"device_id": "OK_1"},  # no device_type
        {"device_id": "OK_1", "device_type": "power_meter", "metadata": [1, 2]},
    ],
)
def test_create_bad_input_is_400_and_creates_nothing(alice, org_a, client_for, body):
    response = client_for(alice).post("/api/devices", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"error", "message", "details"}
    assert not Device.objects.exists()
    assert not AuditLog.objects.filter(resource_type="Device").exists()


def test_create_duplicate_is_409_and_changes_nothing(alice, boiler, client_for):
    response = client_for(alice).post(
        "/api/devices", {"device_id": "DEVICE_001", "device_type": "power_meter"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"error": "Conflict", "message": "Device 'DEVICE_001' already exists."}
    boiler.refresh_from_db()
    assert boiler.device_type == "temperature_sensor"
    assert Device.objects.count() == 1


def test_viewer_cannot_create(vera, client_for):
    response = client_for(vera).post("/api/devices", {"device_id": "V1", "device_type": "power_meter"}, format="json")
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_admin_updates_descriptive_fields_and_it_is_audited(adam, boiler, client_for):
    response = client_for(adam).patch(
        "/api/devices/DEVICE_001", {"device_name": "Boiler 1", "location": "Basement"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["device_name"], body["location"], body["device_id"]) == ("Boiler 1", "Basement", "DEVICE_001")
    boiler.refresh_from_db()
    assert (boiler.name, boiler.location) == ("Boiler 1", "Basement")
    row = AuditLog.objects.get(resource_type="Device", action="UPDATE")
    assert row.changes == {
        "name": {"old": "Boiler Temp Sensor 001", "new": "Boiler 1"},
        "location": {"old": "Boiler Room 1", "new": "Basement"},
    }


def test_device_id_cannot_change(alice, boiler, client_for):
    response = client_for(alice).patch("/api/devices/DEVICE_001", {"device_id": "OTHER"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"device_id": ["A device's id cannot be changed."]}
    boiler.refresh_from_db()
    assert boiler.device_id == "DEVICE_001"


@pytest.mark.parametrize("persona", ["amir", "vera"])
def test_members_and_viewers_cannot_update_or_delete(request, persona, boiler, client_for):
    client = client_for(request.getfixturevalue(persona))
    assert client.patch("/api/devices/DEVICE_001", {"location": "X"}, format="json").status_code == 403
    assert client.delete("/api/devices/DEVICE_001").status_code == 403
    boiler.refresh_from_db()
    assert boiler.location == "Boiler Room 1"
    assert not AuditLog.objects.filter(resource_type="Device").exists()


def test_owner_deletes_the_device_with_its_readings(alice, boiler, client_for):
    add_readings(boiler, [1.0, 2.0])
    response = client_for(alice).delete("/api/devices/DEVICE_001")
    assert response.status_code == 204
    assert not Device.objects.exists()
    assert not Reading.objects.exists()
    assert AuditLog.objects.filter(resource_type="Device", action="DELETE", resource_id=str(boiler.pk)).count() == 1


def test_same_key_in_two_organizations_is_two_devices(alice, bob, boiler, helios_boiler, client_for):
    add_readings(boiler, [10.0])
    add_readings(helios_boiler, [99.0])
    mine = client_for(alice).get("/api/devices/DEVICE_001").json()
    theirs = client_for(bob).get("/api/devices/DEVICE_001").json()
    assert (mine["id"], mine["value"]) == (str(boiler.pk), 10.0)
    assert (theirs["id"], theirs["value"]) == (str(helios_boiler.pk), 99.0)


def test_a_key_held_by_two_of_my_organizations_needs_the_organization_named(
    org_a, org_b, boiler, helios_boiler, client_for
):
    both = make_user("both@example.com", organization=org_a, role="OWNER")
    Membership.objects.create(organization=org_b, user=both, role="OWNER")
    client = client_for(both)
    response = client.get("/api/devices/DEVICE_001")
    assert response.status_code == 400
    assert "X-Organization" in response.json()["message"]
    named = client.get("/api/devices/DEVICE_001", HTTP_X_ORGANIZATION=str(org_b.pk))
    assert named.status_code == 200
    assert named.json()["id"] == str(helios_boiler.pk)


def test_latest_value_is_the_newest_whatever_the_insertion_order(alice, boiler, client_for):
    now = timezone.now()
    Reading.objects.create(device=boiler, organization=boiler.organization, timestamp=now, value=2.0)
    Reading.objects.create(
        device=boiler, organization=boiler.organization, timestamp=now - timedelta(hours=1), value=1.0
    )
    assert client_for(alice).get("/api/devices/DEVICE_001").json()["value"] == 2.0
