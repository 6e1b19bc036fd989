"""The page of ``/api/analysis/history/``: read as rows of the columns its items show (no model instances,
none of the sensor matrices, bins or device rows), each presented by ``presenters.history_item`` as it
presents a sample. The body is the item presenter's."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

from django.db.models import QuerySet
from rest_framework import serializers

from custos.api.pagination import bounded_count
from custos.modules.quality import presenters
from custos.modules.quality.models import QualitySample


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


class HistoryRows:
    """The scoped samples as the paginator reads them: counted as they are (the statement of the
    queryset itself, without the device join of the rows), a page sliced as rows of ``HISTORY_COLUMNS``."""

    def __init__(self, queryset: QuerySet[QualitySample]) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return bounded_count(self.queryset)

    def __getitem__(self, page: slice) -> Any:
        return self.queryset.values_list(*HISTORY_COLUMNS)[page]


class HistoryPage(serializers.ListSerializer):
    """Items of rows of ``HISTORY_COLUMNS`` (or of samples)."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        present = presenters.history_item
        return [present(row if isinstance(row, QualitySample) else cast(Any, HistoryRow._make(row))) for row in data]


class SqalHistoryItem(serializers.Serializer):
    # No docstring: it would become the item's description in the schema.
    class Meta:
        list_serializer_class = HistoryPage

    def to_representation(self, instance: Any) -> Any:
        return presenters.history_item(instance)
