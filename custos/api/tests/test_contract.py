"""``ApiContractMixin`` run against a real tenant resource: the twin dialect's devices.

(A core resource: ``custos.api`` may not import the domain modules, tests included.)

It checks the mixin itself: every contract test runs (and passes) on a resource that keeps the
contract, and ``assert_error_envelope`` refuses a body in another dialect's envelope.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from custos.api.testing import ERROR_KEYS, ApiContractMixin, assert_error_envelope
from custos.devices.models import Device

_names = itertools.count(1)


class TestDeviceContract(ApiContractMixin):
    """The same contract on the twin dialect's devices (a core resource, keyed by ``device_id``)."""

    list_url = "/api/devices"
    dialect = "twin"
    model = Device

    def object_id(self, obj):  # the URL names the device by its device_id; lists show its pk as "id"
        return obj.device_id

    def listed_id(self, obj):
        return str(obj.pk)

    def detail_url(self, obj):
        return f"/api/devices/{self.object_id(obj)}"

    def create_payload(self, organization):
        return {"device_id": f"DEVICE_{next(_names):03d}", "device_type": "temperature", "unit": "C"}

    def update_payload(self, obj):
        return {"location": "Hall 2"}

    def make_row(self, organization, user):
        return Device.objects.create(organization=organization, device_id=f"DEV_{next(_names):03d}", device_type="pump")


def test_the_routes_carry_an_id_template():
    (route,) = TestDeviceContract().routes
    assert (route.list, route.detail, route.write_methods) == (
        "/api/devices",
        "/api/devices/{id}",
        ("patch", "delete"),
    )


@pytest.mark.parametrize(
    ("dialect", "body"),
    [
        ("access", {"detail": "Authentication credentials were not provided."}),
        ("twin", {"error": "Unauthorized"}),
        ("enginel", {"error": "x", "detail": "y"}),
    ],
)
def test_an_error_body_of_another_envelope_is_refused(dialect, body):
    response = SimpleNamespace(status_code=401, json=lambda: body, content=b"")
    with pytest.raises(AssertionError, match=f"{dialect} error body lacks"):
        assert_error_envelope(response, status=401, dialect=dialect)


def test_a_wrong_status_is_refused():
    response = SimpleNamespace(status_code=403, json=lambda: {"detail": "no"}, content=b"")
    with pytest.raises(AssertionError):
        assert_error_envelope(response, status=401, dialect="pipeline")
    assert set(ERROR_KEYS) == {"pipeline", "access", "twin", "enginel", "sqal"}
