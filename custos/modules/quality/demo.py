"""``custos demo``: two SQAL stations of Helios Foods and their graded samples (``register_demo``).

The stations ``SQAL_001`` and ``SQAL_002`` (type ``sqal_station``) get device tokens (printed once, when
issued, so a simulator can connect to ``/ws/sensors/?token=...``). Each sends 30 frames built from raw
data, as a station sends them: an 8x8 distance matrix (a product of a given height, flat or bumpy, on a
plate 100 mm below the sensor) and the 10 AS7341 channels (the reference spectrum, or one shifted
towards red: oxidised). The server grades them through the same path as the socket (``parse_frame`` then
``sample_ingest``), so every grade, score, defect and alert is the server's. The recipes cover every
grade (3 A+, 3 A, 2 B, 1 C, 1 REJECT in each 10 frames). Idempotent: a sample id already stored is
acknowledged, not stored again, and a station with a token keeps it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
from django.utils import timezone

from custos.devices.models import Device, DeviceCredential
from custos.devices.services import device_token_issue
from custos.kernel.context import WriteContext
from custos.kernel.demo import register_demo
from custos.modules.quality.analysis.spectral import BANDS, REFERENCE_SHARES
from custos.modules.quality.services import parse_frame, sample_ingest
from custos.orgs.models import Organization

ORGANIZATION = "helios-foods"
STATIONS = (("SQAL_001", "Helios grading line 1"), ("SQAL_002", "Helios grading line 2"))
STATION_TYPE = "sqal_station"
SAMPLES_PER_STATION = 30
REFERENCE_MM = 100.0
INTERVAL = timedelta(minutes=7)
# (height mm, bump amplitude mm, shift to red) -> the grade the server gives it (docs/sqal-grading.md).
RECIPES: tuple[tuple[float, float, float], ...] = (
    (50.0, 0.0, 0.0),  # A+ 1.0
    (53.0, 0.0, 0.0),  # A+ 0.928
    (50.0, 3.0, 0.2),  # A+ 0.9025
    (50.0, 0.0, 0.4),  # A 0.8284
    (56.0, 3.0, 0.2),  # A 0.7617
    (59.0, 0.0, 0.0),  # A 0.784
    (56.0, 0.0, 0.4),  # B 0.6844
    (62.0, 0.0, 0.0),  # B 0.712
    (62.0, 0.0, 0.4),  # C 0.5404
    (50.0, 0.0, 0.7),  # REJECT: the spectrum rejects (oxidised)
)


def distance_matrix(height: float, bump: float) -> list[list[float]]:
    rows, cols = np.indices((8, 8))
    heights = height + bump * np.sin(rows * 1.3 + cols * 0.7)
    return np.round(REFERENCE_MM - heights, 1).tolist()


def channels(red: float, scale: int = 40000) -> dict[str, int]:
    """The reference spectrum with its red end raised and its blue end lowered by ``red``."""
    weights = np.array([1 - red / 2] * 3 + [1, 1, 1 + red / 3, 1 + red, 1 + red / 2])
    shares = np.array(REFERENCE_SHARES) * weights
    shares = shares / shares.sum()
    bands = {name: round(float(share) * scale) for name, share in zip(BANDS, shares, strict=True)}
    return {**bands, "Clear": 30000, "NIR": 5000}


def demo_frame(device_id: str, index: int, when: Any) -> dict[str, Any]:
    height, bump, red = RECIPES[index % len(RECIPES)]
    return {
        "type": "sensor_data",
        "timestamp": when.isoformat(),
        "sample_id": f"{device_id}-DEMO-{index:03d}",
        "device_id": device_id,
        "location": dict(STATIONS)[device_id],
        "vl53l8ch": {
            "distance_matrix": distance_matrix(height, bump),
            "reflectance_matrix": [[40] * 8 for _ in range(8)],
            "amplitude_matrix": [[900] * 8 for _ in range(8)],
            "reference_distance_mm": REFERENCE_MM,
        },
        "as7341": {"channels": channels(red), "integration_time": 100, "gain": 4},
        "meta": {"firmware": "1.3.0", "demo": True},
        "lot_abattage": f"LOT-{when:%Y%m%d}-{index // 10 + 1}",
        "eleveur": "Ferme des Landes",
        "provenance": "Landes, France",
    }


def _station(organization: Organization, device_id: str) -> tuple[Device, str | None]:
    """The station, with a token issued when it has none (returned once, then ``None``)."""
    device = Device.objects.filter(organization=organization, device_id=device_id).first()
    if device is not None and DeviceCredential.objects.filter(device=device).exists():
        return device, None
    issued = device_token_issue(
        WriteContext.system(organization_id=organization.pk),
        device_id=device_id,
        device_type=STATION_TYPE,
        name=f"SQAL station {device_id[-3:]}",
    )
    return issued.device, issued.token


@register_demo("sqal-samples", order=300)
def load_samples() -> str:
    organization = Organization.objects.get(slug=ORGANIZATION)
    start = timezone.now().replace(microsecond=0) - INTERVAL * SAMPLES_PER_STATION
    stored = 0
    tokens: list[str] = []
    grades: dict[str, int] = {}
    for device_id, location in STATIONS:
        device, token = _station(organization, device_id)
        if not device.location:
            Device.objects.filter(pk=device.pk).update(location=location)
            device.location = location
        if token:
            tokens.append(f"{device_id}={token}")
        ctx = WriteContext(device=device, organization_id=organization.pk)
        for index in range(SAMPLES_PER_STATION):
            frame = parse_frame(demo_frame(device_id, index, start + INTERVAL * index), device_id=device_id)
            result = sample_ingest(ctx, device=device, frame=frame)
            stored += int(result.created)
            grades[result.sample.grade] = grades.get(result.sample.grade, 0) + 1
    spread = ", ".join(f"{grade} {grades.get(grade, 0)}" for grade in ("A+", "A", "B", "C", "REJECT"))
    summary = f"{len(STATIONS)} stations in {ORGANIZATION}, {stored} new samples ({spread})"
    if tokens:
        summary += f"; station tokens (shown once): {' '.join(tokens)}"
    return summary
