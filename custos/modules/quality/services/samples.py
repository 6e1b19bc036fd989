"""Storing and analysing a station's samples, and what a station says about itself.

A sample is the hot path (each station sends one per second): the analysis, the certification and the
``sensor_update`` message (with its QR code) are computed before the transaction, which then only writes
the sample row, the device's ``last_seen`` (a station's connection writes it at most once every
``DEVICES_LAST_SEEN_INTERVAL_SECONDS``, ``custos.devices.presence``) and the event (one short transaction
per sample), no audit row
(like reading ingestion in ``custos.devices``); ``sensor_update`` on the ``quality`` topic is delivered
after commit. Quality alerts go to the shared
alert table (``custos.alerts``, source ``quality``), which audits and publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from custos.alerts.choices import Severity
from custos.alerts.services import alert_raise
from custos.devices.choices import DeviceStatus
from custos.devices.models import Device
from custos.devices.presence import SeenThrottle, mark_seen
from custos.events.services import publish
from custos.kernel.context import WriteContext
from custos.modules.quality.analysis import (
    analyse_spectral,
    analyse_tof,
    certification_hash,
    certification_payload,
    fuse,
)
from custos.modules.quality.analysis.tof import DEVIATION_DEFECT_MM, TARGET_HEIGHT_MM
from custos.modules.quality.models import QualitySample
from custos.modules.quality.presenters import sensor_update_payload
from custos.modules.quality.services.frames import Frame, zone_area_mm2

TOPIC = "quality"
SENSOR_UPDATE = "sensor_update"
ALERT_DELTA_E = 8.0


@dataclass(frozen=True)
class Stored:
    sample: QualitySample
    created: bool
    # The published ``sensor_update`` payload (a new sample only).
    payload: dict[str, Any] | None = None


def _matrix(array: Any) -> list[list[float]] | None:
    if array is None:
        return None
    return [[int(v) if float(v).is_integer() else round(float(v), 3) for v in row] for row in array]


def sample_values(frame: Frame, *, device: Device) -> dict[str, Any]:
    """The row's fields: the raw data and the server's analysis of it."""
    tof = analyse_tof(frame.distance, reference_mm=frame.reference_mm, zone_area_mm2=zone_area_mm2())
    spectral = analyse_spectral(frame.channels)
    fused, grade = fuse(tof.score, spectral.score)
    defects = [*tof.defects, *spectral.defects]
    timestamp = frame.timestamp.isoformat()
    digest = certification_hash(
        certification_payload(
            organization_id=device.organization_id,
            device_id=device.device_id,
            sample_id=frame.sample_id,
            timestamp=timestamp,
            tof_score=tof.score,
            spectral_score=spectral.score,
            fusion_score=fused,
            grade=grade,
            defects=defects,
            lot_abattage=frame.lot_abattage,
            eleveur=frame.eleveur,
            provenance=frame.provenance,
        )
    )
    return {
        "organization_id": device.organization_id,
        "device": device,
        "sample_id": frame.sample_id,
        "timestamp": frame.timestamp,
        "location": frame.location or device.location,
        "distance_matrix": _matrix(frame.distance),
        "reflectance_matrix": _matrix(frame.reflectance),
        "amplitude_matrix": _matrix(frame.amplitude),
        "bins": frame.bins,
        "channels": frame.channels,
        "integration_time": frame.integration_time,
        "gain": frame.gain,
        "device_results": frame.device_results,
        "meta": frame.meta,
        "tof_metrics": tof.metrics,
        "tof_score": tof.score,
        "tof_grade": tof.grade,
        "avg_height_mm": tof.metrics["avg_height_mm"],
        "volume_mm3": tof.metrics["volume_mm3"],
        "spectral_metrics": spectral.metrics,
        "spectral_score": spectral.score,
        "spectral_grade": spectral.grade,
        "freshness_index": spectral.metrics.get("freshness_index"),
        "delta_e": spectral.metrics.get("delta_e"),
        "fusion_score": fused,
        "grade": grade,
        "defects": defects,
        "num_defects": len(defects),
        "certification_hash": digest,
        "lot_abattage": frame.lot_abattage,
        "eleveur": frame.eleveur,
        "provenance": frame.provenance,
    }


def alert_rules(sample: QualitySample) -> list[dict[str, Any]]:
    """The per-sample alert rules of the foie-gras dashboard that this sample trips."""
    tripped: list[dict[str, Any]] = []
    if sample.grade in ("C", "REJECT"):
        tripped.append(
            {
                "rule": "grade",
                "severity": Severity.HIGH if sample.grade == "REJECT" else Severity.MEDIUM,
                "message": f"Sample {sample.sample_id} graded {sample.grade} (score {sample.fusion_score:.4f}).",
            }
        )
    if sample.delta_e is not None and sample.delta_e > ALERT_DELTA_E:
        tripped.append(
            {
                "rule": "color_delta_e",
                "severity": Severity.MEDIUM,
                "message": f"Colour difference ΔE {sample.delta_e:.2f} > {ALERT_DELTA_E:g}.",
            }
        )
    occupied = (sample.tof_metrics or {}).get("occupied_zones", 0)
    if occupied and sample.avg_height_mm is not None:
        deviation = sample.avg_height_mm - TARGET_HEIGHT_MM
        if abs(deviation) > DEVIATION_DEFECT_MM:
            tripped.append(
                {
                    "rule": "height_deviation",
                    "severity": Severity.MEDIUM,
                    "message": f"Average height {sample.avg_height_mm:.1f} mm deviates {deviation:+.1f} mm from 50 mm.",
                }
            )
    return tripped


def sample_ingest(ctx: WriteContext, *, device: Device, frame: Frame, seen: SeenThrottle | None = None) -> Stored:
    """Store and analyse ``frame`` from ``device``; a resend of a stored ``sample_id`` stores nothing
    and returns the stored sample (``created=False``). ``seen``: the connection's throttle of the
    device's ``last_seen`` (without it, ``last_seen`` is written with every sample)."""
    # No look-up first: a resend is rare, and the unique (device, sample_id) constraint refuses it.
    sample = QualitySample(**sample_values(frame, device=device))  # the primary key is set here
    payload = sensor_update_payload(sample)
    rules = alert_rules(sample)
    ctx = ctx.within(device.organization_id)
    try:
        with transaction.atomic():
            sample.save(force_insert=True)
            if seen is not None:
                seen.touch()
            else:
                mark_seen(device.pk)
            publish(organization_id=device.organization_id, topic=TOPIC, event=SENSOR_UPDATE, payload=payload)
            if rules:
                order = {Severity.HIGH: 0, Severity.MEDIUM: 1}
                worst = min(rules, key=lambda rule: order.get(rule["severity"], 2))
                alert_raise(
                    ctx,
                    organization_id=device.organization_id,
                    source="quality",
                    alert_type=worst["rule"],
                    severity=str(worst["severity"]),
                    title=f"Quality alert on {device.device_id}",
                    message=" ".join(rule["message"] for rule in rules),
                    subject_type="QualitySample",
                    subject_id=sample.pk,
                    data={
                        "device_id": device.device_id,
                        "sample_id": sample.sample_id,
                        "grade": sample.grade,
                        "fusion_score": sample.fusion_score,
                        "rules": [rule["rule"] for rule in rules],
                    },
                )
    except IntegrityError:  # a resend, or the same sample stored concurrently: nothing was written
        stored = QualitySample.objects.filter(device=device, sample_id=frame.sample_id).first()
        if stored is None:
            raise
        return Stored(stored, created=False)
    return Stored(sample, created=True, payload=payload)


def station_hello(ctx: WriteContext, *, device: Device, data: dict[str, Any]) -> Device:
    """``esp32_hello``: the device is online; its network and firmware details go to ``metadata``."""
    metadata = dict(device.metadata or {})
    for key in ("mac_address", "ip_address", "firmware_version"):
        if isinstance(data.get(key), (str, int, float)):
            metadata[key] = str(data[key])[:100]
    if isinstance(data.get("sensors"), dict):
        metadata["sensors"] = {str(k)[:64]: v for k, v in list(data["sensors"].items())[:32]}
    now = timezone.now()
    fields: dict[str, Any] = {"metadata": metadata, "last_seen": now, "status": DeviceStatus.NORMAL, "updated_at": now}
    if isinstance(data.get("location"), str) and data["location"].strip():
        fields["location"] = data["location"].strip()[:200]
    Device.objects.filter(pk=device.pk).update(**fields)
    for name, value in fields.items():
        setattr(device, name, value)
    return device


def station_heartbeat(ctx: WriteContext, *, device: Device, data: dict[str, Any]) -> Device:
    """``heartbeat``: the device's status, uptime and counters."""
    status = data.get("status")
    allowed = {choice.value for choice in DeviceStatus}
    metadata = dict(device.metadata or {})
    heartbeat: dict[str, Any] = {"received_at": timezone.now().isoformat()}
    if isinstance(data.get("uptime"), (int, float)) and not isinstance(data.get("uptime"), bool):
        heartbeat["uptime"] = data["uptime"]
    if isinstance(data.get("stats"), dict):
        heartbeat["stats"] = {str(k)[:64]: v for k, v in list(data["stats"].items())[:32]}
    if isinstance(status, str):
        heartbeat["status"] = status[:32]
    metadata["heartbeat"] = heartbeat
    now = timezone.now()
    fields: dict[str, Any] = {
        "metadata": metadata,
        "last_seen": now,
        "status": status if status in allowed else DeviceStatus.NORMAL,
        "updated_at": now,
    }
    Device.objects.filter(pk=device.pk).update(**fields)
    for name, value in fields.items():
        setattr(device, name, value)
    return device
