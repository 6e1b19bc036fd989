"""Devices of the two persona organizations, and clients acting as a device."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.devices.models import Device, Reading
from custos.kernel.context import WriteContext


@pytest.fixture
def boiler(org_a):
    """Northwind's DEVICE_001 (the same key exists at Helios: keys are per organization)."""
    return Device.objects.create(
        organization=org_a,
        device_id="DEVICE_001",
        device_type="temperature_sensor",
        name="Boiler Temp Sensor 001",
        location="Boiler Room 1",
        unit="°C",
        status="normal",
        health_score=0.92,
        efficiency_score=0.88,
        metadata={"floor": 1},
    )


@pytest.fixture
def pump(org_a):
    return Device.objects.create(
        organization=org_a, device_id="PUMP_7", device_type="pressure_sensor", name="Pump 7", unit="bar"
    )


@pytest.fixture
def helios_boiler(org_b):
    return Device.objects.create(
        organization=org_b, device_id="DEVICE_001", device_type="temperature_sensor", name="Helios boiler", unit="°C"
    )


@pytest.fixture
def helios_meter(org_b):
    return Device.objects.create(
        organization=org_b, device_id="METER_9", device_type="power_meter", name="Helios meter", unit="kW"
    )


@pytest.fixture
def device_client():
    """``device_client(device)``: an API client authenticated with a fresh token of ``device``."""
    from rest_framework.test import APIClient

    from custos.devices.services import device_token_issue

    def build(device):
        issued = device_token_issue(
            WriteContext.system(organization_id=device.organization_id), device_id=device.device_id
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Device {issued.token}")
        client.token = issued.token
        return client

    return build


def add_readings(device, values, *, metric="value", start=None, step=timedelta(minutes=1)):
    """Store ``values`` one ``step`` apart ending at ``start`` (default: now - len*step)."""
    start = start or timezone.now() - step * len(values)
    Reading.objects.bulk_create(
        Reading(
            device=device, organization_id=device.organization_id, timestamp=start + step * i, metric=metric, value=v
        )
        for i, v in enumerate(values)
    )
    return start
