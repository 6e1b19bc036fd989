"""The device list, presented by ``present_rows`` from ``values()`` rows, gives DRF's own output byte for
byte: the list and the detail against DRF's per-field ``Serializer.to_representation``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from conftest import make_user
from custos.api.serializers import make_fast_list, plain_columns
from custos.devices.api.serializers import TwinDeviceSerializer
from custos.devices.models import Device
from custos.devices.selectors import with_latest_reading
from custos.devices.tests.conftest import add_readings
from custos.orgs.models import Membership

pytestmark = pytest.mark.django_db


def drf(instance):
    """The body DRF itself builds for one device (every field's get_attribute/to_representation)."""
    return serializers.ModelSerializer.to_representation(TwinDeviceSerializer(), instance)


def annotated(**filters):
    return list(with_latest_reading(Device.objects.filter(**filters)).order_by("device_id"))


def rendered(response, data):
    """``data`` rendered as the route renders its own body."""
    return response.accepted_renderer.render(data, response.accepted_media_type, response.renderer_context)


@pytest.fixture
def fleet(org_a, boiler, pump):
    """Devices with and without readings, scores, metadata; integral and fractional values."""
    add_readings(boiler, [75.1, 75.5])
    add_readings(boiler, [3.0], metric="rpm")  # not the device's "value"
    odd = Device.objects.create(
        organization=org_a,
        device_id="ODD.1",
        device_type="meter",
        name="Ünïcode “name”",
        status="critical",
        health_score=1,
        efficiency_score=0,
        metadata={"nested": {"list": [1, 2.5, None, "x"], "flag": True}, "empty": {}},
    )
    add_readings(odd, [70], start=timezone.now().replace(microsecond=0) - timedelta(minutes=5))
    return [boiler, pump, odd]


def test_list_body_is_drfs_per_row_output(alice, fleet, client_for):
    response = client_for(alice).get("/api/devices")
    assert response.status_code == 200
    expected = [drf(device) for device in annotated(organization=fleet[0].organization)]
    assert any(row["timestamp"] is None for row in expected) and any(row["timestamp"] for row in expected)
    assert response.content == rendered(response, expected)


def test_list_pages_filters_search_and_ordering_keep_the_body(alice, fleet, client_for):
    client = client_for(alice)
    by_key = {d.device_id: drf(d) for d in annotated(organization=fleet[0].organization)}
    cases = {
        "/api/devices?limit=1&offset=1": ["ODD.1"],
        "/api/devices?status=critical": ["ODD.1"],
        "/api/devices?status=&location=": ["DEVICE_001", "ODD.1", "PUMP_7"],
        "/api/devices?search=pump": ["PUMP_7"],
        # where the device without a score goes is the database's rule (SQLite last, PostgreSQL first)
        "/api/devices?ordering=-health_score": [
            d.device_id
            for d in with_latest_reading(Device.objects.filter(organization=fleet[0].organization)).order_by(
                "-health_score"
            )
        ],
    }
    for path, keys in cases.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content == rendered(response, [by_key[k] for k in keys]), path


def test_a_bad_filter_value_is_still_refused(alice, fleet, client_for):
    response = client_for(alice).get("/api/devices", {"status": "melting", "limit": 5})
    assert response.status_code == 400
    assert response.json()["details"] == {
        "status": ["Select a valid choice. melting is not one of the available choices."]
    }


@pytest.mark.parametrize("key", ["DEVICE_001", "PUMP_7", "ODD.1"])
def test_detail_body_is_drfs_output(alice, fleet, client_for, key):
    response = client_for(alice).get(f"/api/devices/{key}")
    assert response.status_code == 200
    (device,) = annotated(organization=fleet[0].organization, device_id=key)
    assert response.content == rendered(response, drf(device))


def test_serializer_on_instances_and_rows_matches_drf(fleet):
    devices = annotated(organization=fleet[0].organization)
    expected = [drf(device) for device in devices]
    assert make_fast_list(TwinDeviceSerializer(devices, many=True)).data == expected
    rows = list(
        with_latest_reading(Device.objects.filter(organization=fleet[0].organization))
        .order_by("device_id")
        .values(*plain_columns(TwinDeviceSerializer))
    )
    presented = make_fast_list(TwinDeviceSerializer(rows, many=True)).data
    assert presented == expected

    # Types too (``==`` holds between 1 and 1.0): floats stay floats, ids are text.
    def types(items):
        return [[type(value) for value in item.values()] for item in items]

    assert types(presented) == types(expected)


def test_a_device_without_its_latest_reading_is_presented_as_drf_does(boiler):
    plain = Device.objects.get(pk=boiler.pk)  # not annotated: DRF answers null for the reading
    assert TwinDeviceSerializer(plain).data == drf(plain)
    assert drf(plain)["timestamp"] is None and drf(plain)["value"] is None


def test_a_member_of_two_organizations_lists_both_and_the_named_one_only(
    org_a, org_b, boiler, pump, helios_meter, client_for
):
    add_readings(helios_meter, [99.0])
    both = make_user("both@example.com", organization=org_a, role="OWNER")
    Membership.objects.create(organization=org_b, user=both, role="MEMBER")
    client = client_for(both)
    everything = client.get("/api/devices")
    expected = [drf(d) for d in with_latest_reading(Device.objects.all()).order_by("device_id")]
    assert everything.content == rendered(everything, expected)
    assert {row["id"] for row in everything.json()} == {str(d.pk) for d in (boiler, pump, helios_meter)}
    helios = client.get("/api/devices", HTTP_X_ORGANIZATION=str(org_b.pk))
    assert helios.content == rendered(helios, [drf(d) for d in annotated(organization=org_b)])


def test_another_organizations_devices_are_not_listed(alice, boiler, helios_boiler, helios_meter, client_for):
    response = client_for(alice).get("/api/devices")
    assert [row["id"] for row in response.json()] == [str(boiler.pk)]
