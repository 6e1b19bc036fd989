"""Firmware versions and OTA campaigns (sqal document, ``/api/firmware/*``; method in docs/sqal-firmware.md).

* **Versions**: a semantic version (semver.org 2.0.0, checked by its grammar), unique per organization;
  the image is stored with Django's default storage, its SHA-256 and size computed while it streams.
* **Campaigns** (``OtaUpdate``): one version to named devices or to every device of a type (the set is
  fixed at creation, one ``OtaUpdateLog`` per device). Devices are split into waves in ``device_id`` order:
  ``all_at_once`` is one wave; ``gradual`` waves hold ``ceil(total * rollout_percentage / 100)`` devices;
  ``scheduled`` starts at ``scheduled_at`` (then waves of ``rollout_percentage``, all at once at 100).
* **Devices** learn of their update on ``/ws/sensors/`` (``ota_offers``: an ``ota_available`` per update
  of a started wave) and report ``ota_progress`` (``ota_log_progress``): pending → downloading →
  installing → completed / failed, forward only.
* **Halt** (AWS IoT Jobs' abort criteria): a started wave whose failed share of finished updates passes
  ``failure_threshold_percent``, once at least ``min(halt_min_attempts, wave size)`` of them finished,
  halts the campaign: nothing more is offered, pending devices are cancelled.
* **Waves advance** when every update of the current wave has finished, or ``wave_interval_minutes``
  after the wave started when set; checked after each report and by the periodic ``ota_tick``.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.devices.choices import DEVICE_ID_PATTERN, DEVICE_TYPE_PATTERN
from custos.devices.models import (
    Device,
    FirmwareVersion,
    OtaLogStatus,
    OtaStatus,
    OtaUpdate,
    OtaUpdateLog,
    RolloutStrategy,
)
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, DomainError, NotFound, ValidationFailed, does_not_exist
from custos.orgs.choices import ADMIN_ROLES

# The grammar of semver.org 2.0.0 (numeric parts without leading zeros, dot-separated identifiers).
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    rf"(?:-({_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
SEMVER_MESSAGE = "A semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. 1.4.0 or 2.0.0-rc.1."
MAX_VERSION_PART = 2**31 - 1
MAX_TARGET_DEVICES = 10_000
MAX_DESCRIPTION = 10_000
CHUNK = 64 * 1024

ACTIVE_CAMPAIGN = (OtaStatus.SCHEDULED, OtaStatus.IN_PROGRESS)
OPEN_LOG = (OtaLogStatus.PENDING, OtaLogStatus.DOWNLOADING, OtaLogStatus.INSTALLING)
FINISHED_LOG = (OtaLogStatus.COMPLETED, OtaLogStatus.FAILED)
# Where a device's update stands; a report may only move forward (or repeat with new progress).
LOG_RANK: dict[str, int] = {
    OtaLogStatus.PENDING: 0,
    OtaLogStatus.DOWNLOADING: 1,
    OtaLogStatus.INSTALLING: 2,
    OtaLogStatus.COMPLETED: 3,
    OtaLogStatus.FAILED: 3,
}
REPORTED = (OtaLogStatus.DOWNLOADING, OtaLogStatus.INSTALLING, OtaLogStatus.COMPLETED, OtaLogStatus.FAILED)

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
_DEVICE_TYPE = re.compile(DEVICE_TYPE_PATTERN)


class FileTooLarge(DomainError):
    status_code = 413
    code = "FILE_TOO_LARGE"
    default_message = "The firmware file is too large."


def max_firmware_bytes() -> int:
    return int(getattr(settings, "FIRMWARE_MAX_BYTES", 16 * 1024 * 1024))


def default_failure_threshold() -> float:
    return float(getattr(settings, "FIRMWARE_OTA_FAILURE_THRESHOLD_PERCENT", 20))


def default_halt_min_attempts() -> int:
    return int(getattr(settings, "FIRMWARE_OTA_HALT_MIN_ATTEMPTS", 5))


# --- Versions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SemVer:
    major: int
    minor: int
    patch: int
    prerelease: str
    build: str


def parse_semver(raw: str) -> SemVer | None:
    """The parts of a semantic version, or ``None`` when ``raw`` does not follow the grammar."""
    match = SEMVER.match(raw)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.group(1, 2, 3))
    if max(major, minor, patch) > MAX_VERSION_PART:
        return None
    return SemVer(major, minor, patch, match.group(4) or "", match.group(5) or "")


def _digest(upload: UploadedFile) -> tuple[str, int]:
    """SHA-256 and size of the upload, read in chunks (memory bounded by the chunk, not the file)."""
    sha = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(CHUNK):
        sha.update(chunk)
        size += len(chunk)
    return sha.hexdigest(), size


def _version_fields(data: Mapping[str, Any]) -> tuple[dict[str, Any], UploadedFile]:
    errors: dict[str, list[str]] = {}
    version = data.get("version")
    parsed = parse_semver(version) if isinstance(version, str) and len(version) <= 64 else None
    if not isinstance(version, str) or not version:
        errors["version"] = ["This field is required."]
    elif parsed is None:
        errors["version"] = [SEMVER_MESSAGE]
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["This field is required."]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"Text of at most {MAX_DESCRIPTION} characters."]
    upload = data.get("file")
    if not isinstance(upload, UploadedFile):
        errors["file"] = ["No file was submitted."]
    elif not upload.size:
        errors["file"] = ["The submitted file is empty."]
    checksum = data.get("sha256")
    if checksum not in (None, "") and not (isinstance(checksum, str) and re.fullmatch(r"[0-9A-Fa-f]{64}", checksum)):
        errors["sha256"] = ["64 hexadecimal digits."]
    if errors:
        raise ValidationFailed(field_errors=errors)
    assert parsed is not None and isinstance(upload, UploadedFile) and isinstance(name, str)
    limit = max_firmware_bytes()
    if (upload.size or 0) > limit:
        raise FileTooLarge(
            f"The file is {upload.size} bytes; firmware images are at most {limit} bytes.",
            extra={"max_bytes": limit},
        )
    values = {
        "version": version,
        "major": parsed.major,
        "minor": parsed.minor,
        "patch": parsed.patch,
        "prerelease": parsed.prerelease,
        "name": name.strip(),
        "description": description,
        "file_name": os.path.basename(upload.name or "firmware.bin")[:255] or "firmware.bin",
    }
    return values, upload


def firmware_version_create(ctx: WriteContext, *, data: Mapping[str, Any]) -> FirmwareVersion:
    """Store a firmware image as ``data["version"]`` of ``ctx.organization_id`` (OWNER/ADMIN).

    ``data``: ``version`` (semver), ``name``, ``description``, ``file`` and optionally ``sha256`` (the
    digest the uploader expects: a mismatch refuses the upload). A version the organization already has
    is a 409; nothing is stored on any refusal."""
    require_role(ctx, organization_id=ctx.organization_id, roles=ADMIN_ROLES)
    values, upload = _version_fields(data)
    if FirmwareVersion.objects.filter(organization_id=ctx.organization_id, version=values["version"]).exists():
        raise Conflict(f"Firmware version {values['version']} already exists.")
    sha256, size = _digest(upload)
    if size > max_firmware_bytes():  # the declared size and the streamed one may differ
        raise FileTooLarge(f"The file is {size} bytes; firmware images are at most {max_firmware_bytes()} bytes.")
    expected = data.get("sha256")
    if expected and str(expected).lower() != sha256:
        raise ValidationFailed(field_errors={"sha256": [f"The file's SHA-256 is {sha256}, not {expected}."]})
    instance = FirmwareVersion(
        organization_id=ctx.organization_id,
        file_size=size,
        sha256=sha256,
        uploaded_by=ctx.user,
        **values,
    )
    instance.file = upload  # written to the default storage when the row is saved
    audit_values = {**values, "file_size": size, "sha256": sha256}
    try:
        return audited_create(ctx, instance, audit_values=audit_values, roles=ADMIN_ROLES)
    except IntegrityError:  # the same version uploaded concurrently
        _delete_file(instance.file.name)
        raise Conflict(f"Firmware version {values['version']} already exists.") from None
    except BaseException:
        _delete_file(instance.file.name)
        raise


def _delete_file(name: str | None) -> None:
    if name:
        FirmwareVersion._meta.get_field("file").storage.delete(name)  # type: ignore[attr-defined]


def firmware_version_delete(ctx: WriteContext, instance: FirmwareVersion) -> None:
    """Delete a version and its stored file (OWNER/ADMIN). Refused (409) while a scheduled or running
    campaign installs it; finished campaigns keep the version's number."""
    active = OtaUpdate.objects.filter(firmware=instance, status__in=ACTIVE_CAMPAIGN).count()
    if active:
        raise Conflict(f"Firmware version {instance.version} is used by {active} active OTA campaign(s).")
    name = instance.file.name
    audited_delete(ctx, instance, roles=ADMIN_ROLES)
    transaction.on_commit(lambda: _delete_file(name))


def firmware_for_download(*, organization_ids: Sequence[Any], version_id: Any) -> FirmwareVersion:
    """The version ``version_id`` among ``organization_ids`` (404 otherwise, whether or not it exists)."""
    try:
        pk = uuid.UUID(str(version_id))
    except ValueError:
        raise NotFound("Firmware version not found.") from None
    found = FirmwareVersion.objects.filter(organization_id__in=list(organization_ids), pk=pk).first()
    if found is None:
        raise NotFound("Firmware version not found.")
    return found


def download_path(version: FirmwareVersion) -> str:
    return f"/api/firmware/versions/{version.pk}/download/"


# --- Campaigns ------------------------------------------------------------------------------------


def wave_plan(total: int, percentage: int) -> tuple[int, int]:
    """(devices per wave, number of waves) for ``total`` devices in waves of ``percentage`` %."""
    if total <= 0:
        return 0, 0
    size = max(1, math.ceil(total * percentage / 100))
    return size, math.ceil(total / size)


def _targets(ctx: WriteContext, data: Mapping[str, Any], errors: dict[str, list[str]]) -> list[Device]:
    ids = data.get("target_devices")
    device_type = data.get("target_device_type") or ""
    if ids and device_type:
        errors["target_devices"] = ["Name devices or a device type, not both."]
        return []
    if not ids and not device_type:
        errors["target_devices"] = ["Name the devices (target_devices) or a device type (target_device_type)."]
        return []
    if device_type:
        if not isinstance(device_type, str) or not _DEVICE_TYPE.match(device_type):
            errors["target_device_type"] = ["Lower-case letters, digits, '_' or '-' (at most 64)."]
            return []
        devices = list(
            Device.objects.filter(organization_id=ctx.organization_id, device_type=device_type).order_by("device_id")
        )
        if not devices:
            errors["target_device_type"] = [f"No device of type {device_type!r}."]
        elif len(devices) > MAX_TARGET_DEVICES:
            errors["target_device_type"] = [f"{len(devices)} devices; a campaign targets at most {MAX_TARGET_DEVICES}."]
        return devices
    if not isinstance(ids, list) or not all(isinstance(i, str) and _DEVICE_ID.match(i) for i in ids):
        errors["target_devices"] = ["A list of device ids."]
        return []
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_TARGET_DEVICES:
        errors["target_devices"] = [f"At most {MAX_TARGET_DEVICES} devices."]
        return []
    devices = list(
        Device.objects.filter(organization_id=ctx.organization_id, device_id__in=wanted).order_by("device_id")
    )
    unknown = sorted(set(wanted) - {device.device_id for device in devices})
    if unknown:
        listed = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
        errors["target_devices"] = [f"Unknown devices: {listed}."]
    return devices


def _number(
    data: Mapping[str, Any], name: str, default: Any, low: float, high: float, errors: dict[str, list[str]]
) -> Any:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors[name] = ["A number."]
        return default
    if not low <= value <= high:
        errors[name] = [f"Between {low:g} and {high:g}."]
    return value


def ota_update_create(ctx: WriteContext, *, data: Mapping[str, Any]) -> OtaUpdate:
    """Create a campaign in ``ctx.organization_id`` (OWNER/ADMIN); it starts at once unless scheduled.

    ``data``: ``firmware_version_id``; ``target_devices`` (device ids) or ``target_device_type``;
    ``rollout_strategy`` (all_at_once | gradual | scheduled), ``rollout_percentage`` (1-100),
    ``scheduled_at`` (scheduled only), ``failure_threshold_percent``, ``halt_min_attempts``,
    ``wave_interval_minutes``, ``name``, ``description``. A device with an unfinished update in another
    active campaign is a 409."""
    require_role(ctx, organization_id=ctx.organization_id, roles=ADMIN_ROLES)
    errors: dict[str, list[str]] = {}
    raw_version = data.get("firmware_version_id")
    firmware = None
    if raw_version in (None, ""):
        errors["firmware_version_id"] = ["This field is required."]
    else:
        try:
            firmware = FirmwareVersion.objects.filter(
                organization_id=ctx.organization_id, pk=uuid.UUID(str(raw_version))
            ).first()
        except ValueError:
            firmware = None
        if firmware is None:
            errors.update(does_not_exist("firmware_version_id", raw_version).field_errors)
    devices = _targets(ctx, data, errors)
    strategy = data.get("rollout_strategy") or RolloutStrategy.ALL_AT_ONCE
    if strategy not in RolloutStrategy.values:
        errors["rollout_strategy"] = [f"One of {', '.join(RolloutStrategy.values)}."]
    percentage = _number(data, "rollout_percentage", None, 1, 100, errors)
    if percentage is not None and not float(percentage).is_integer():
        errors["rollout_percentage"] = ["A whole number between 1 and 100."]
    if strategy == RolloutStrategy.ALL_AT_ONCE and percentage not in (None, 100):
        errors["rollout_percentage"] = ["all_at_once updates every device: use gradual for waves."]
    if strategy == RolloutStrategy.GRADUAL and percentage is None:
        errors["rollout_percentage"] = ["A gradual rollout needs the size of its waves (1-100 %)."]
    scheduled_at = data.get("scheduled_at")
    if strategy == RolloutStrategy.SCHEDULED and not isinstance(scheduled_at, datetime):
        errors["scheduled_at"] = ["A scheduled rollout needs its start (an ISO 8601 date-time)."]
    if strategy != RolloutStrategy.SCHEDULED and scheduled_at is not None:
        errors["scheduled_at"] = ["Only a scheduled rollout takes a start time."]
    threshold = _number(data, "failure_threshold_percent", default_failure_threshold(), 0, 100, errors)
    min_attempts = _number(data, "halt_min_attempts", default_halt_min_attempts(), 1, 100_000, errors)
    interval = _number(data, "wave_interval_minutes", None, 1, 7 * 24 * 60, errors)
    name = data.get("name") or ""
    if not isinstance(name, str) or len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"Text of at most {MAX_DESCRIPTION} characters."]
    if errors:
        raise ValidationFailed(field_errors=errors)
    assert firmware is not None

    busy = list(
        OtaUpdateLog.objects.filter(
            device__in=devices, status__in=OPEN_LOG, update__status__in=ACTIVE_CAMPAIGN
        ).values_list("device__device_id", flat=True)[:21]
    )
    if busy:
        listed = ", ".join(sorted(busy)[:20]) + (" …" if len(busy) > 20 else "")
        raise Conflict(f"These devices are already being updated by another campaign: {listed}.")

    size, count = wave_plan(len(devices), int(percentage or 100))
    now = timezone.now()
    starts_now = strategy != RolloutStrategy.SCHEDULED or (scheduled_at is not None and scheduled_at <= now)
    values: dict[str, Any] = {
        "name": name,
        "description": description,
        "firmware": firmware,
        "firmware_version": firmware.version,
        "target_device_type": data.get("target_device_type") or "",
        "target_device_ids": [device.device_id for device in devices] if data.get("target_devices") else [],
        "rollout_strategy": strategy,
        "rollout_percentage": int(percentage or 100),
        "scheduled_at": scheduled_at,
        "failure_threshold_percent": float(threshold),
        "halt_min_attempts": int(min_attempts),
        "wave_interval_minutes": int(interval) if interval is not None else None,
        "total_devices": len(devices),
        "wave_size": size,
        "wave_count": count,
        "created_by": ctx.user,
        "status": OtaStatus.IN_PROGRESS if starts_now else OtaStatus.SCHEDULED,
        "current_wave": 1 if starts_now else 0,
        "started_at": now if starts_now else None,
        "wave_started_at": now if starts_now else None,
    }
    with transaction.atomic():
        campaign = audited_create(ctx, OtaUpdate, values=values, roles=ADMIN_ROLES)
        OtaUpdateLog.objects.bulk_create(
            (
                OtaUpdateLog(
                    organization_id=campaign.organization_id,
                    update=campaign,
                    device=device,
                    wave=index // size + 1,
                    previous_version=str((device.metadata or {}).get("firmware_version", ""))[:100],
                )
                for index, device in enumerate(devices)
            ),
            batch_size=1000,
        )
    return campaign


def _system(campaign: OtaUpdate) -> WriteContext:
    return WriteContext.system(organization_id=campaign.organization_id)


def _stop_pending(campaign: OtaUpdate, now: datetime) -> int:
    return OtaUpdateLog.objects.filter(update=campaign, status=OtaLogStatus.PENDING).update(
        status=OtaLogStatus.CANCELLED, finished_at=now, updated_at=now
    )


def ota_update_cancel(ctx: WriteContext, campaign: OtaUpdate) -> OtaUpdate:
    """Cancel a scheduled or running campaign (OWNER/ADMIN): nothing more is offered, devices that had
    not begun are cancelled; updates already under way may still report how they ended."""
    with transaction.atomic():
        campaign = OtaUpdate.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in ACTIVE_CAMPAIGN:
            raise Conflict(f"The campaign is already {campaign.status}.")
        now = timezone.now()
        stopped = _stop_pending(campaign, now)
        return audited_update(
            ctx,
            campaign,
            values={"status": OtaStatus.CANCELLED, "finished_at": now},
            action="CANCEL",
            roles=ADMIN_ROLES,
            extra_changes={"devices_cancelled": stopped},
        )


@dataclass(frozen=True)
class WaveFigures:
    wave: int
    total: int
    open: int
    completed: int
    failed: int

    @property
    def attempts(self) -> int:
        return self.completed + self.failed

    def failure_percent(self) -> float:
        return 100.0 * self.failed / self.attempts if self.attempts else 0.0


def wave_figures(campaign: OtaUpdate) -> dict[int, WaveFigures]:
    """Per wave: devices, unfinished updates, completed and failed ones (one grouped query)."""
    rows = (
        OtaUpdateLog.objects.filter(update=campaign)
        .values("wave")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=OPEN_LOG)),
            completed=Count("id", filter=Q(status=OtaLogStatus.COMPLETED)),
            failed=Count("id", filter=Q(status=OtaLogStatus.FAILED)),
        )
        .order_by("wave")
    )
    return {row["wave"]: WaveFigures(**row) for row in rows}


def halt_reason(campaign: OtaUpdate, figures: Iterable[WaveFigures]) -> str | None:
    """Why the campaign must halt (the first started wave over the threshold), or ``None``."""
    for wave in figures:
        if wave.wave > campaign.current_wave or not wave.attempts:
            continue
        needed = min(campaign.halt_min_attempts, wave.total)
        rate = wave.failure_percent()
        if wave.attempts >= needed and rate > campaign.failure_threshold_percent:
            return (
                f"Wave {wave.wave}: {wave.failed} of {wave.attempts} updates failed "
                f"({rate:.1f} % > {campaign.failure_threshold_percent:g} %)."
            )
    return None


def _start(campaign: OtaUpdate, now: datetime) -> OtaUpdate:
    return audited_update(
        _system(campaign),
        campaign,
        values={"status": OtaStatus.IN_PROGRESS, "current_wave": 1, "started_at": now, "wave_started_at": now},
        action="START",
        roles=None,
    )


def ota_update_evaluate(campaign_id: Any, *, now: datetime | None = None) -> OtaUpdate | None:
    """Start a due scheduled campaign, then halt, advance or complete a running one, as its logs say.
    One step per call (the periodic tick calls again); the campaign row is locked meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = OtaUpdate.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            return None
        if campaign.status == OtaStatus.SCHEDULED:
            if campaign.scheduled_at is None or campaign.scheduled_at > now:
                return campaign
            campaign = _start(campaign, now)
        if campaign.status != OtaStatus.IN_PROGRESS:
            return campaign
        figures = wave_figures(campaign)
        reason = halt_reason(campaign, figures.values())
        if reason is not None:
            stopped = _stop_pending(campaign, now)
            return audited_update(
                _system(campaign),
                campaign,
                values={"status": OtaStatus.HALTED, "finished_at": now, "halt_reason": reason},
                action="HALT",
                roles=None,
                extra_changes={"devices_cancelled": stopped},
            )
        current = figures.get(campaign.current_wave)
        if campaign.current_wave < campaign.wave_count:
            interval = campaign.wave_interval_minutes
            waited = (
                interval is not None
                and campaign.wave_started_at is not None
                and now - campaign.wave_started_at >= timedelta(minutes=interval)
            )
            if (current is None or current.open == 0) or waited:
                return audited_update(
                    _system(campaign),
                    campaign,
                    values={"current_wave": campaign.current_wave + 1, "wave_started_at": now},
                    action="ADVANCE_WAVE",
                    roles=None,
                )
            return campaign
        if not any(wave.open for wave in figures.values()):
            return audited_update(
                _system(campaign),
                campaign,
                values={"status": OtaStatus.COMPLETED, "finished_at": now},
                action="COMPLETE",
                roles=None,
            )
        return campaign


def ota_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic step: every scheduled or running campaign evaluated once (ids read in batches)."""
    now = now or timezone.now()
    counts = {"evaluated": 0, "started": 0, "advanced": 0, "halted": 0, "completed": 0}
    due = OtaUpdate.objects.filter(
        Q(status=OtaStatus.IN_PROGRESS) | Q(status=OtaStatus.SCHEDULED, scheduled_at__lte=now)
    ).values_list("pk", "status", "current_wave")
    for pk, status, wave in due.iterator(chunk_size=500):
        after = ota_update_evaluate(pk, now=now)
        if after is None:
            continue
        counts["evaluated"] += 1
        if status == OtaStatus.SCHEDULED and after.status != OtaStatus.SCHEDULED:
            counts["started"] += 1
        if after.status == OtaStatus.HALTED:
            counts["halted"] += 1
        elif after.status == OtaStatus.COMPLETED:
            counts["completed"] += 1
        elif status == OtaStatus.IN_PROGRESS and after.current_wave > wave:
            counts["advanced"] += 1
    return counts


# --- The device side (/ws/sensors/) ---------------------------------------------------------------


def offer_message(log: OtaUpdateLog) -> dict[str, Any]:
    campaign = log.update
    firmware = campaign.firmware
    assert firmware is not None
    return {
        "type": "ota_available",
        "update_id": str(campaign.pk),
        "version": firmware.version,
        "name": firmware.name,
        "size": firmware.file_size,
        "sha256": firmware.sha256,
        "download_url": download_path(firmware),
        "status": log.status,
        "progress": log.progress,
    }


def ota_offers(device: Device) -> list[dict[str, Any]]:
    """The ``ota_available`` messages for ``device``: its unfinished updates in started waves of running
    campaigns. An update whose version the device already reports (``esp32_hello``'s
    ``firmware_version``) is recorded as completed instead of offered."""
    logs = list(
        OtaUpdateLog.objects.filter(device=device, status__in=OPEN_LOG, update__status=OtaStatus.IN_PROGRESS)
        .select_related("update", "update__firmware")
        .order_by("update__created_at")
    )
    running = str((device.metadata or {}).get("firmware_version", ""))
    offers = []
    for log in logs:
        if log.wave > log.update.current_wave or log.update.firmware is None:
            continue
        if running and running == log.update.firmware_version:
            ctx = WriteContext(device=device, organization_id=device.organization_id)
            ota_log_progress(ctx, device=device, data={"update_id": str(log.update_id), "status": "completed"})
            continue
        offers.append(offer_message(log))
    return offers


def _log_for(device: Device, update_id: Any) -> OtaUpdateLog:
    """The device's log of ``update_id`` (or its only open one), locked after its campaign: every writer
    locks the campaign row first, then logs, so a report never deadlocks with a cancel or a halt."""
    logs = OtaUpdateLog.objects.filter(device=device)
    if update_id in (None, ""):
        found = list(logs.filter(status__in=OPEN_LOG, update__status=OtaStatus.IN_PROGRESS)[:2])
        if len(found) != 1:
            raise ValidationFailed(field_errors={"update_id": ["Name the update (update_id)."]})
        log = found[0]
    else:
        try:
            pk = uuid.UUID(str(update_id))
        except ValueError:
            raise NotFound("No such update for this device.") from None
        log = logs.filter(update_id=pk).first()
        if log is None:
            raise NotFound("No such update for this device.")
    campaign = OtaUpdate.objects.select_for_update().get(pk=log.update_id)
    log = OtaUpdateLog.objects.select_for_update().get(pk=log.pk)
    log.update = campaign
    return log


def ota_log_progress(ctx: WriteContext, *, device: Device, data: Mapping[str, Any]) -> OtaUpdateLog:
    """Record ``{update_id, status, progress?, error?}`` reported by ``device`` (its own updates only).

    Status moves forward only (pending → downloading → installing → completed | failed); the same status
    again updates the progress. A change of status is audited (``OTA_<STATUS>``, the device as actor)
    and re-evaluates the campaign; a progress change alone is a plain write, like telemetry."""
    status = data.get("status")
    if status not in REPORTED:
        raise ValidationFailed(field_errors={"status": [f"One of {', '.join(REPORTED)}."]})
    progress = data.get("progress")
    if progress is not None and (
        isinstance(progress, bool) or not isinstance(progress, (int, float)) or not 0 <= progress <= 100
    ):
        raise ValidationFailed(field_errors={"progress": ["A number between 0 and 100."]})
    error = data.get("error") or data.get("error_message") or ""
    if not isinstance(error, str):
        raise ValidationFailed(field_errors={"error": ["Text."]})
    now = timezone.now()
    with transaction.atomic():
        log = _log_for(device, data.get("update_id"))
        campaign = log.update
        if log.status not in OPEN_LOG:
            raise Conflict(f"This update is already {log.status}.")
        if log.status == OtaLogStatus.PENDING and (
            campaign.status != OtaStatus.IN_PROGRESS or log.wave > campaign.current_wave
        ):
            raise Conflict("This update is not offered to the device.")
        if LOG_RANK[status] < LOG_RANK[log.status]:
            raise ValidationFailed(
                field_errors={"status": [f"An update cannot go back from {log.status} to {status}."]}
            )
        percent = 100 if status == OtaLogStatus.COMPLETED else int(progress if progress is not None else log.progress)
        if status == log.status:
            OtaUpdateLog.objects.filter(pk=log.pk).update(progress=percent, updated_at=now)
            log.progress = percent
            return log
        values: dict[str, Any] = {"status": status, "progress": percent}
        if log.started_at is None:
            values["started_at"] = now
        if status in FINISHED_LOG:
            values["finished_at"] = now
        if status == OtaLogStatus.FAILED:
            values["error_message"] = error[:1000]
        log = audited_update(ctx.within(device.organization_id), log, values=values, action=f"OTA_{status.upper()}")
        if status in FINISHED_LOG:
            ota_update_evaluate(campaign.pk, now=now)
        return log


# --- Reads ----------------------------------------------------------------------------------------


def campaigns_with_figures(queryset: QuerySet[OtaUpdate]) -> QuerySet[OtaUpdate]:
    """Annotate each campaign with its devices per log status (``n_<status>``), in the one list query."""
    return queryset.select_related("firmware").annotate(
        **{f"n_{status}": Count("logs", filter=Q(logs__status=status)) for status in OtaLogStatus.values}
    )
