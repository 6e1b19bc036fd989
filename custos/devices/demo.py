"""``custos demo``: a firmware version and a finished OTA campaign (registered with ``register_demo``).

Helios Foods gets three SQAL stations (``SQAL_OTA_01..03``, type ``sqal_station``, reporting firmware
1.3.0), firmware 1.4.0 (a deterministic demo image) and a gradual campaign in waves of 34 % (two
stations, then one) that the stations drive to the end exactly as they would over ``/ws/sensors/``: each
reports downloading → installing → completed, then says hello with its new version. Idempotent.
"""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile

from custos.devices import firmware, ota_tasks  # noqa: F401 - ota_tasks: registers the periodic task with Celery
from custos.devices.models import Device, FirmwareVersion, OtaStatus, OtaUpdate, OtaUpdateLog
from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.orgs.models import Organization

ORGANIZATION = "helios-foods"
STATIONS = ("SQAL_OTA_01", "SQAL_OTA_02", "SQAL_OTA_03")
STATION_TYPE = "sqal_station"
OLD_VERSION, NEW_VERSION = "1.3.0", "1.4.0"
CAMPAIGN = "Demo: stations to 1.4.0"


def demo_image(version: str, size: int = 64 * 1024) -> bytes:
    """A deterministic stand-in image: the ESP32 image magic byte, then a SHA-256 stream of the version."""
    body = bytearray(b"\xe9\x04\x02\x20")
    counter = 0
    while len(body) < size:
        body += hashlib.sha256(f"{version}:{counter}".encode()).digest()
        counter += 1
    return bytes(body[:size])


def _station(organization: Organization, device_id: str) -> Device:
    device, _ = Device.objects.get_or_create(
        organization=organization,
        device_id=device_id,
        defaults={
            "device_type": STATION_TYPE,
            "name": f"SQAL station {device_id[-2:]}",
            "location": "Helios grading line",
            "metadata": {"firmware_version": OLD_VERSION},
        },
    )
    return device


def _report_version(device: Device, version: str) -> None:
    """What the station's next ``esp32_hello`` records: its running firmware."""
    device.metadata = {**(device.metadata or {}), "firmware_version": version}
    Device.objects.filter(pk=device.pk).update(metadata=device.metadata)


@register_demo("sqal-firmware", order=320)
def load_firmware() -> str:
    organization = Organization.objects.get(slug=ORGANIZATION)
    system = WriteContext.system(organization_id=organization.pk)
    devices = [_station(organization, device_id) for device_id in STATIONS]
    version = FirmwareVersion.objects.filter(organization=organization, version=NEW_VERSION).first()
    if version is None:
        image = SimpleUploadedFile("sqal-station-1.4.0.bin", demo_image(NEW_VERSION), "application/octet-stream")
        version = firmware.firmware_version_create(
            system,
            data={
                "version": NEW_VERSION,
                "name": "SQAL station 1.4.0",
                "description": "Demo: faster ToF frames and the AS7341 gain fix.",
                "file": image,
            },
        )
    campaign = OtaUpdate.objects.filter(organization=organization, name=CAMPAIGN).first()
    if campaign is None:
        campaign = firmware.ota_update_create(
            system,
            data={
                "firmware_version_id": version.pk,
                "name": CAMPAIGN,
                "target_devices": list(STATIONS),
                "rollout_strategy": "gradual",
                "rollout_percentage": 34,
            },
        )
    for _wave in range(campaign.wave_count + 1):
        for device in devices:
            for offer in firmware.ota_offers(device):
                ctx = WriteContext(device=device, organization_id=organization.pk)
                for status in ("downloading", "installing", "completed"):
                    firmware.ota_log_progress(
                        ctx, device=device, data={"update_id": offer["update_id"], "status": status, "progress": 100}
                    )
                _report_version(device, offer["version"])
        firmware.ota_update_evaluate(campaign.pk)
    campaign.refresh_from_db()
    done = OtaUpdateLog.objects.filter(update=campaign, status="completed").count()
    state = "finished" if campaign.status == OtaStatus.COMPLETED else campaign.status
    updated = f"{done}/{campaign.total_devices} updated"
    return f"firmware {version.version} ({version.file_size} bytes), campaign {state}: {updated}"
