"""Constructed fleets: readings with seeded noise, injected faults and recorded events at known times."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from custos.devices.models import Device, DeviceEvent, Reading


def make_device(org, device_id, device_type="temperature_sensor", **extra):
    return Device.objects.create(
        organization=org, device_id=device_id, device_type=device_type, status="normal", **extra
    )


def store(device, times, values, metric="value"):
    Reading.objects.bulk_create(
        Reading(device=device, organization_id=device.organization_id, timestamp=t, metric=metric, value=float(v))
        for t, v in zip(times, values, strict=True)
    )


def grid(end, *, hours, step_minutes):
    """Timestamps every ``step_minutes`` over the ``hours`` before ``end`` (``end`` excluded)."""
    count = int(hours * 60 / step_minutes)
    return [end - timedelta(minutes=step_minutes * (count - i)) for i in range(count)]


def record_event(device, moment, kind, notes=""):
    return DeviceEvent.objects.create(
        organization_id=device.organization_id, device=device, timestamp=moment, event_type=kind, notes=notes
    )


@pytest.fixture
def now():
    """A whole five-minute mark a little in the past, so grid points are exact."""
    moment = timezone.now() - timedelta(minutes=10)
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


@pytest.fixture
def rng():
    return np.random.default_rng(20261201)
