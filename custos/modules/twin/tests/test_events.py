"""``POST /api/devices/{device_id}/events``: failures, maintenance and repairs, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.devices.models import DeviceEvent
from custos.modules.twin.tests.conftest import make_device

pytestmark = pytest.mark.django_db


@pytest.fixture
def pump(org_a):
    return make_device(org_a, "PUMP_1", device_type="pressure_sensor")


def test_record_a_failure(amir, client_for, pump):
    moment = (timezone.now() - timedelta(hours=2)).replace(microsecond=0)
    response = client_for(amir).post(
        "/api/devices/PUMP_1/events",
        {"timestamp": moment.isoformat(), "type": "failure", "notes": "seal leak"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["device_id"], body["type"], body["notes"]) == ("PUMP_1", "failure", "seal leak")
    assert body["timestamp"] == moment.isoformat().replace("+00:00", "Z")
    event = DeviceEvent.objects.get()
    assert (event.device_id, event.event_type, event.timestamp) == (pump.pk, "failure", moment)
    audit = AuditLog.objects.get(resource_type="DeviceEvent")
    assert (audit.action, audit.resource_id) == ("CREATE", str(event.pk))


@pytest.mark.parametrize(
    "payload",
    [
        {"timestamp": "2026-01-01T00:00:00Z", "type": "explosion"},
        {"type": "failure"},
        {"timestamp": "yesterday", "type": "repair"},
        {"timestamp": 4102444800, "type": "repair"},  # 2100: in the future
    ],
)
def test_bad_events_are_400_and_store_nothing(alice, client_for, pump, payload):
    response = client_for(alice).post("/api/devices/PUMP_1/events", payload, format="json")
    assert response.status_code == 400
    assert not DeviceEvent.objects.exists()


def test_a_viewer_cannot_record(vera, client_for, pump):
    response = client_for(vera).post(
        "/api/devices/PUMP_1/events", {"timestamp": "2026-01-01T00:00:00Z", "type": "repair"}, format="json"
    )
    assert response.status_code == 403
    assert not DeviceEvent.objects.exists()


def test_another_organizations_device_is_404(bob, client_for, pump):
    response = client_for(bob).post(
        "/api/devices/PUMP_1/events", {"timestamp": "2026-01-01T00:00:00Z", "type": "repair"}, format="json"
    )
    assert response.status_code == 404
    assert not DeviceEvent.objects.exists()
