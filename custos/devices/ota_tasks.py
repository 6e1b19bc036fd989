"""The periodic OTA step (beat entry installed by migration ``devices.0005``): start scheduled campaigns
whose time has come, advance gradual ones, halt or complete them as their devices' logs say."""

from __future__ import annotations

from celery import shared_task

from custos.devices import firmware

OTA_TICK_TASK = "devices.ota_tick"


@shared_task(name=OTA_TICK_TASK)
def ota_tick() -> dict[str, int]:
    return firmware.ota_tick()
