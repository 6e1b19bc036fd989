"""Validation of a station's ``sensor_data`` frame (the ``/ws/sensors/`` protocol, notes.md "sqal (004)").

Keys are matched case-insensitively (``VL53L8CH`` or ``vl53l8ch``; ``F1_415nm`` or ``f1_415nm``);
unknown keys are ignored. Every problem is listed (``{field, message}``), not only the first.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from custos.modules.quality.analysis.spectral import CHANNEL_MAX, CHANNELS

GRID = (8, 8)
BINS_SHAPE = (8, 8, 128)
MAX_DISTANCE_MM = 4000.0  # the VL53L8CH's range
MAX_REFLECTANCE = 255.0
MAX_AMPLITUDE = 1e7
MAX_TEXT = 200
MAX_SAMPLE_ID = 100
FUTURE_TOLERANCE = timedelta(minutes=5)
MATRIX_KEYS = ("distance_matrix", "reflectance_matrix", "amplitude_matrix", "bins_matrix")


def reference_distance_mm() -> float:
    return float(getattr(settings, "QUALITY_TOF_REFERENCE_DISTANCE_MM", 100.0))


def zone_area_mm2() -> float:
    return float(getattr(settings, "QUALITY_TOF_ZONE_AREA_MM2", 100.0))


@dataclass
class Frame:
    sample_id: str
    timestamp: datetime
    location: str
    distance: np.ndarray
    reflectance: np.ndarray | None
    amplitude: np.ndarray | None
    bins: bytes | None
    channels: dict[str, int]
    integration_time: float | None
    gain: float | None
    reference_mm: float
    device_results: dict[str, Any]
    meta: dict[str, Any]
    lot_abattage: str = ""
    eleveur: str = ""
    provenance: str = ""


@dataclass
class FrameErrors(Exception):
    sample_id: str | None
    errors: list[dict[str, str]] = field(default_factory=list)


def _lower(block: Any) -> Any:
    return {str(k).lower(): v for k, v in block.items()} if isinstance(block, dict) else block


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _matrix(value: Any, shape: tuple[int, ...], name: str, low: float, high: float, errors: list) -> np.ndarray | None:
    if not isinstance(value, list):
        errors.append({"field": name, "message": f"Must be a {'x'.join(map(str, shape))} array of numbers."})
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (ValueError, TypeError):
        errors.append({"field": name, "message": f"Must be a {'x'.join(map(str, shape))} array of numbers."})
        return None
    if array.shape != shape:
        errors.append({"field": name, "message": f"Must be {'x'.join(map(str, shape))}, got {array.shape}."})
        return None
    if not np.isfinite(array).all():
        errors.append({"field": name, "message": "Every value must be a finite number."})
        return None
    if array.min() < low or array.max() > high:
        errors.append({"field": name, "message": f"Values must be between {low:g} and {high:g}."})
        return None
    return array


def _timestamp(raw: Any, errors: list) -> datetime:
    now = timezone.now()
    if raw in (None, ""):
        return now
    parsed: datetime | None = None
    if isinstance(raw, str):
        try:
            parsed = parse_datetime(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
    elif (number := _number(raw)) is not None:
        seconds = number / 1000 if number > 1e11 else number
        try:
            parsed = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    if parsed is None:
        errors.append({"field": "timestamp", "message": "Must be an ISO 8601 date-time or a Unix time."})
        return now
    if parsed > now + FUTURE_TOLERANCE:
        errors.append({"field": "timestamp", "message": "Must not be in the future."})
    return parsed


def _text(value: Any, name: str, errors: list) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        errors.append({"field": name, "message": "Must be a string."})
        return ""
    text = str(value)
    if len(text) > MAX_TEXT:
        errors.append({"field": name, "message": f"At most {MAX_TEXT} characters."})
    return text[:MAX_TEXT]


def normalise_defects(value: Any, name: str, errors: list) -> list[dict[str, Any]]:
    """Defects as strings (``"bruise"``) or objects (``{type, severity, pos, ...}``) -> objects."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append({"field": name, "message": "Must be a list of strings or objects."})
        return []
    defects: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            defects.append({"type": item.strip()[:64]})
        elif isinstance(item, dict) and isinstance(item.get("type"), str) and item["type"].strip():
            kept = {str(k): v for k, v in item.items() if isinstance(v, (str, int, float, bool, list)) or v is None}
            kept["type"] = item["type"].strip()[:64]
            defects.append(kept)
        else:
            errors.append({"field": f"{name}[{index}]", "message": "A defect is a string or an object with a type."})
    return defects


def _scalars(block: dict[str, Any], skip: tuple[str, ...]) -> dict[str, Any]:
    return {
        k: v
        for k, v in block.items()
        if k not in skip and (v is None or isinstance(v, (str, bool)) or _number(v) is not None)
    }


def _channels(block: Any, errors: list) -> dict[str, int]:
    if not isinstance(block, dict):
        errors.append({"field": "as7341.channels", "message": "Required: an object of the 10 channels."})
        return {}
    by_key: dict[str, Any] = {}
    for key, value in block.items():
        text = str(key).lower()
        by_key[text] = value
        by_key.setdefault(text.split("_", 1)[0], value)  # "f1" for "F1_415nm"
    channels: dict[str, int] = {}
    for name in CHANNELS:
        lowered = name.lower()
        value = by_key.get(lowered, by_key.get(lowered.split("_", 1)[0]))
        if value is None:
            errors.append({"field": f"as7341.channels.{name}", "message": "Required."})
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            errors.append({"field": f"as7341.channels.{name}", "message": "Must be an integer."})
        elif not 0 <= value <= CHANNEL_MAX:
            errors.append({"field": f"as7341.channels.{name}", "message": f"Must be between 0 and {CHANNEL_MAX}."})
        else:
            channels[name] = int(value)
    return channels


def encode_bins(array: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(array, dtype="<u4").tobytes(), 6)


def decode_bins(blob: bytes | memoryview | None) -> np.ndarray | None:
    if blob is None:
        return None
    return np.frombuffer(zlib.decompress(bytes(blob)), dtype="<u4").reshape(BINS_SHAPE)


def parse_frame(content: dict[str, Any], *, device_id: str) -> Frame:
    """The validated frame, or ``FrameErrors`` listing every problem."""
    data = _lower(content)
    errors: list[dict[str, str]] = []
    raw_id = data.get("sample_id")
    sample_id = str(raw_id).strip() if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ""
    if not sample_id:
        errors.append({"field": "sample_id", "message": "Required."})
    elif len(sample_id) > MAX_SAMPLE_ID:
        errors.append({"field": "sample_id", "message": f"At most {MAX_SAMPLE_ID} characters."})
    reported_id = data.get("device_id")
    if reported_id not in (None, "") and str(reported_id) != device_id:
        errors.append({"field": "device_id", "message": "Does not match the device of this connection."})
    timestamp = _timestamp(data.get("timestamp"), errors)

    tof = _lower(data.get("vl53l8ch"))
    tof_raw = _lower(data.get("vl53l8ch_raw")) if isinstance(data.get("vl53l8ch_raw"), dict) else {}
    distance = reflectance = amplitude = None
    bins: bytes | None = None
    reference = reference_distance_mm()
    device_results: dict[str, Any] = {}
    defects_reported: list[dict[str, Any]] = []
    if not isinstance(tof, dict):
        errors.append({"field": "vl53l8ch", "message": "Required: the VL53L8CH block."})
    else:
        merged = {**tof_raw, **tof}
        if merged.get("distance_matrix") is None:
            errors.append({"field": "vl53l8ch.distance_matrix", "message": "Required: an 8x8 array."})
        else:
            distance = _matrix(
                merged["distance_matrix"], GRID, "vl53l8ch.distance_matrix", 0.0, MAX_DISTANCE_MM, errors
            )
        if merged.get("reflectance_matrix") is not None:
            reflectance = _matrix(
                merged["reflectance_matrix"], GRID, "vl53l8ch.reflectance_matrix", 0.0, MAX_REFLECTANCE, errors
            )
        if merged.get("amplitude_matrix") is not None:
            amplitude = _matrix(
                merged["amplitude_matrix"], GRID, "vl53l8ch.amplitude_matrix", 0.0, MAX_AMPLITUDE, errors
            )
        if merged.get("bins_matrix") is not None:
            array = _matrix(merged["bins_matrix"], BINS_SHAPE, "vl53l8ch.bins_matrix", 0.0, 2.0**32 - 1, errors)
            if array is not None:
                if not np.array_equal(array, np.floor(array)):
                    errors.append({"field": "vl53l8ch.bins_matrix", "message": "Bins are integer counts."})
                else:
                    bins = encode_bins(array)
        for key in ("reference_distance_mm", "reference_mm"):
            if key in merged:
                value = _number(merged[key])
                if value is None or not 0 < value <= MAX_DISTANCE_MM:
                    errors.append({"field": f"vl53l8ch.{key}", "message": f"Between 0 and {MAX_DISTANCE_MM:g} mm."})
                else:
                    reference = value
                break
        device_results["vl53l8ch"] = _scalars(merged, (*MATRIX_KEYS, "defects"))
        defects_reported += normalise_defects(merged.get("defects"), "vl53l8ch.defects", errors)

    spectral = _lower(data.get("as7341"))
    channels: dict[str, int] = {}
    integration_time = gain = None
    if not isinstance(spectral, dict):
        errors.append({"field": "as7341", "message": "Required: the AS7341 block."})
    else:
        raw_spectral = _lower(data.get("as7341_raw")) if isinstance(data.get("as7341_raw"), dict) else {}
        merged_spectral = {**raw_spectral, **spectral}
        channels = _channels(merged_spectral.get("channels"), errors)
        for key in ("integration_time", "gain"):
            if merged_spectral.get(key) is not None:
                value = _number(merged_spectral[key])
                if value is None or value < 0:
                    errors.append({"field": f"as7341.{key}", "message": "Must be a non-negative number."})
                elif key == "gain":
                    gain = value
                else:
                    integration_time = value
        device_results["as7341"] = _scalars(merged_spectral, ("channels", "defects"))
        defects_reported += normalise_defects(merged_spectral.get("defects"), "as7341.defects", errors)

    fusion = _lower(data.get("fusion"))
    if isinstance(fusion, dict):
        device_results["fusion"] = _scalars(fusion, ("defects",))
        defects_reported += normalise_defects(fusion.get("defects"), "fusion.defects", errors)
    defects_reported += normalise_defects(data.get("defects"), "defects", errors)
    if defects_reported:
        device_results["defects"] = defects_reported

    meta = data.get("meta")
    if meta is not None and not isinstance(meta, dict):
        errors.append({"field": "meta", "message": "Must be an object."})
        meta = None
    values = {
        name: _text(data.get(name), name, errors) for name in ("location", "lot_abattage", "eleveur", "provenance")
    }
    if errors:
        raise FrameErrors(sample_id=sample_id or None, errors=errors)
    assert distance is not None
    return Frame(
        sample_id=sample_id,
        timestamp=timestamp,
        distance=distance,
        reflectance=reflectance,
        amplitude=amplitude,
        bins=bins,
        channels=channels,
        integration_time=integration_time,
        gain=gain,
        reference_mm=reference,
        device_results=device_results,
        meta=meta or {},
        **values,
    )
