"""``custos demo`` part ``sqal-firmware``: a firmware version and a finished campaign, idempotent."""

from __future__ import annotations

import hashlib

import pytest

from custos.devices.demo import NEW_VERSION, STATIONS, demo_image, load_firmware
from custos.devices.models import Device, FirmwareVersion, OtaUpdate, OtaUpdateLog
from custos.kernel.demo import demo_loaders

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_one_version_and_one_finished_campaign():
    from custos.orgs.tests.factories import organization

    helios = organization(name="Helios Foods", slug="helios-foods")
    first = load_firmware()
    assert first == f"firmware {NEW_VERSION} (65536 bytes), campaign finished: 3/3 updated"
    assert load_firmware() == first  # a second run adds nothing
    version = FirmwareVersion.objects.get(organization=helios)
    assert version.sha256 == hashlib.sha256(demo_image(NEW_VERSION)).hexdigest()
    campaign = OtaUpdate.objects.get(organization=helios)
    assert (campaign.status, campaign.wave_size, campaign.wave_count, campaign.current_wave) == ("completed", 2, 2, 2)
    assert set(OtaUpdateLog.objects.values_list("status", flat=True)) == {"completed"}
    assert {d.metadata["firmware_version"] for d in Device.objects.filter(device_id__in=STATIONS)} == {NEW_VERSION}
    assert [(loader.name, loader.order) for loader in demo_loaders() if loader.name == "sqal-firmware"] == [
        ("sqal-firmware", 320)
    ]
