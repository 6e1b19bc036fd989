"""Live telemetry for Socket.IO streams (``stream_<device_id>`` rooms, ``stream_data`` events).

Contract used by ``custos.devices.services`` (ingestion): after a batch of readings is committed, the
ingest service calls ``readings_ingested(organization_id, rows)`` once per batch, where ``rows`` is a
list of ``(device_id: str, timestamp: datetime, metric: str, value: float)`` tuples of that batch. It
must be cheap when nobody is subscribed and must never raise into ingestion.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def readings_ingested(organization_id: Any, rows: Sequence[tuple[str, datetime, str, float]]) -> None:
    return None
