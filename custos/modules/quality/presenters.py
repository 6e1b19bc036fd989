"""How a sample is shown: the ``sensor_update`` of ``/ws/realtime/`` and the REST items of ``/api/analysis``
and ``/api/sensors`` (snake_case here; the sqal renderer turns top-level keys into camelCase and leaves the
sensor blocks, ``defects`` and ``channels`` as they are)."""

from __future__ import annotations

from typing import Any

from custos.modules.quality.analysis import qr_png_base64
from custos.modules.quality.models import QualitySample

# Values the sqal renderer leaves in snake_case (the SQAL frontend reads them so).
SNAKE_BLOCKS = ("vl53l8ch", "as7341", "defects", "channels", "fusion", "blockchain", "meta", "device_results")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _by_source(sample: QualitySample, source: str) -> list[dict[str, Any]]:
    return [d for d in sample.defects or [] if d.get("source") == source]


def tof_block(sample: QualitySample, *, matrices: bool = True) -> dict[str, Any]:
    block: dict[str, Any] = {
        **(sample.tof_metrics or {}),
        "quality_score": sample.tof_score,
        "grade": sample.tof_grade,
        "defects": _by_source(sample, "tof"),
    }
    if matrices:
        block["distance_matrix"] = sample.distance_matrix
        block["reflectance_matrix"] = sample.reflectance_matrix
        block["amplitude_matrix"] = sample.amplitude_matrix
    return block


def spectral_block(sample: QualitySample) -> dict[str, Any]:
    return {
        "channels": sample.channels,
        "integration_time": sample.integration_time,
        "gain": sample.gain,
        **(sample.spectral_metrics or {}),
        "quality_score": sample.spectral_score,
        "grade": sample.spectral_grade,
        "defects": _by_source(sample, "spectral"),
    }


def fusion_block(sample: QualitySample) -> dict[str, Any]:
    return {
        "final_score": sample.fusion_score,
        "final_grade": sample.grade,
        "vl53l8ch_score": sample.tof_score,
        "as7341_score": sample.spectral_score,
        "defects": sample.defects,
        "num_defects": sample.num_defects,
        "device_reported": (sample.device_results or {}).get("fusion", {}),
    }


def blockchain_block(sample: QualitySample, *, qr: bool = True) -> dict[str, Any]:
    return {
        "hash": sample.certification_hash,
        "timestamp": _iso(sample.timestamp),
        "qr_code_base64": qr_png_base64(sample.certification_hash) if qr else None,
        "lot_abattage": sample.lot_abattage,
        "eleveur": sample.eleveur,
        "provenance": sample.provenance,
    }


def sensor_update_payload(sample: QualitySample) -> dict[str, Any]:
    """The ``sensor_update`` message (without its ``type``) for one stored sample."""
    return {
        "id": str(sample.pk),
        "timestamp": _iso(sample.timestamp),
        "device_id": sample.device.device_id,
        "sample_id": sample.sample_id,
        "location": sample.location,
        "vl53l8ch": tof_block(sample),
        "as7341": spectral_block(sample),
        "fusion": fusion_block(sample),
        "blockchain": blockchain_block(sample),
        "meta": sample.meta,
    }


def history_item(sample: QualitySample) -> dict[str, Any]:
    """One item of ``/api/analysis/history/`` (notes.md "sqal (004)")."""
    tof = sample.tof_metrics or {}
    spectral = sample.spectral_metrics or {}
    return {
        "id": str(sample.pk),
        "time": _iso(sample.timestamp),
        "device_id": sample.device.device_id,
        "sample_id": sample.sample_id,
        "grade": sample.grade,
        "quality_score": sample.fusion_score,
        "num_defects": sample.num_defects,
        "vl53l8ch_score": sample.tof_score,
        "as7341_score": sample.spectral_score,
        "vl53l8ch_grade": sample.tof_grade,
        "as7341_grade": sample.spectral_grade,
        "defects": sample.defects,
        "vl53l8ch": {
            "volume_mm3": tof.get("volume_mm3"),
            "avg_height_mm": tof.get("avg_height_mm"),
            "surface_uniformity": tof.get("surface_uniformity"),
        },
        "as7341": {
            "channels": sample.channels,
            "freshness_index": spectral.get("freshness_index"),
            "color_score": spectral.get("color_score"),
        },
    }


def analysis_detail(sample: QualitySample) -> dict[str, Any]:
    """``/api/analysis/history/{id}``: the history item with the full sensor blocks and certification."""
    return {
        **history_item(sample),
        "vl53l8ch": tof_block(sample),
        "as7341": spectral_block(sample),
        "fusion": fusion_block(sample),
        "blockchain": blockchain_block(sample),
        "location": sample.location,
        "lot_abattage": sample.lot_abattage,
        "eleveur": sample.eleveur,
        "provenance": sample.provenance,
        "device_results": sample.device_results,
        "meta": sample.meta,
    }
