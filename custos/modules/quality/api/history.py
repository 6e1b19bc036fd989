"""The rows of ``/api/analysis/history/``'s page: the columns its items show (no model instances, none of
the sensor matrices, bins or device rows), each read as a sample by ``presenters.history_item``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple


class HistoryRow(NamedTuple):
    """One row of ``HISTORY_COLUMNS``, read as a sample (it stands in for its device: ``device.device_id``)."""

    pk: Any
    timestamp: datetime
    device_id: str
    sample_id: str
    grade: str
    fusion_score: float
    num_defects: int
    tof_score: float
    spectral_score: float
    tof_grade: str
    spectral_grade: str
    defects: Any
    tof_metrics: Any
    spectral_metrics: Any
    channels: Any

    @property
    def device(self) -> HistoryRow:
        return self


# The columns a history item shows, in ``HistoryRow``'s order (the device's through the join).
HISTORY_COLUMNS = tuple("device__device_id" if name == "device_id" else name for name in HistoryRow._fields)
