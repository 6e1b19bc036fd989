"""The twin health report's per-device, per-metric statistics over its period, against readings whose
figures are known: the newest value is the latest timestamp's (the latest row on a tie), whatever the
insertion order; readings outside the period or of another device count for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from custos.devices.models import Device, Reading
from custos.modules.twin.report_content import _reading_stats
from custos.reports.registry import ReportRequest

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=1)


def test_statistics_of_each_device_and_metric_are_exact(org_a, org_b):
    boiler = Device.objects.create(organization=org_a, device_id="BOILER", device_type="temperature_sensor")
    pump = Device.objects.create(organization=org_a, device_id="PUMP", device_type="pressure_sensor")
    other = Device.objects.create(organization=org_b, device_id="BOILER", device_type="temperature_sensor")

    def add(device, metric, hours, value):
        Reading.objects.create(
            device=device,
            organization=device.organization,
            metric=metric,
            value=value,
            timestamp=START + timedelta(hours=hours),
        )

    # Inserted newest first: the newest is found by time, not by insertion.
    add(boiler, "temperature", 20, 71.0)
    add(boiler, "temperature", 2, 65.0)
    add(boiler, "temperature", 10, 68.0)
    add(boiler, "temperature", 30, 99.0)  # after the period
    add(boiler, "temperature", -1, 10.0)  # before it
    add(boiler, "pressure", 5, 2.0)
    add(boiler, "pressure", 5, 3.0)  # the same instant, written later: the newest
    add(pump, "pressure", 24, 4.5)  # at the period's end: inside
    add(other, "temperature", 12, 500.0)  # another organization's device

    request = ReportRequest(organization_id=org_a.pk, start=START, end=END, filters={}, sections=())
    with CaptureQueriesContext(connection) as captured:
        stats = _reading_stats([boiler.pk, pump.pk], request)
    assert len(captured.captured_queries) == 2
    assert {device: dict(metrics) for device, metrics in stats.items()} == {
        boiler.pk: {
            "temperature": {
                "count": 3,
                "min": 65.0,
                "max": 71.0,
                "avg": 68.0,
                "latest_value": 71.0,
                "latest_at": START + timedelta(hours=20),
            },
            "pressure": {
                "count": 2,
                "min": 2.0,
                "max": 3.0,
                "avg": 2.5,
                "latest_value": 3.0,
                "latest_at": START + timedelta(hours=5),
            },
        },
        pump.pk: {
            "pressure": {"count": 1, "min": 4.5, "max": 4.5, "avg": 4.5, "latest_value": 4.5, "latest_at": END},
        },
    }


def test_no_device_no_readings(org_a):
    request = ReportRequest(organization_id=org_a.pk, start=START, end=END, filters={}, sections=())
    assert _reading_stats([], request) == {}
