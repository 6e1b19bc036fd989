"""Writes of the quality domain."""

from custos.modules.quality.services.frames import Frame, FrameErrors, decode_bins, parse_frame
from custos.modules.quality.services.samples import (
    SENSOR_UPDATE,
    TOPIC,
    Stored,
    sample_ingest,
    station_heartbeat,
    station_hello,
)

__all__ = [
    "SENSOR_UPDATE",
    "TOPIC",
    "Frame",
    "FrameErrors",
    "Stored",
    "decode_bins",
    "parse_frame",
    "sample_ingest",
    "station_heartbeat",
    "station_hello",
]
