"""What every generator shares: the report header and the conversion of cell values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ReportHeader:
    report_type: str
    title: str
    generated_at: datetime
    start: datetime
    end: datetime
    organization: Mapping[str, Any] | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def period_days(self) -> float | int:
        days = (self.end - self.start).total_seconds() / 86400
        return int(days) if days.is_integer() else round(days, 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.report_type,
            "title": self.title,
            "generated_at": iso(self.generated_at),
            "organization": dict(self.organization) if self.organization else None,
            "period_days": self.period_days,
            "period": {"start": iso(self.start), "end": iso(self.end)},
            "filters": dict(self.filters),
        }


def iso(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    return moment.isoformat()


def cell(value: Any) -> Any:
    """A value as the files hold it: numbers, strings, booleans and None as they are; times in ISO 8601."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return iso(value)
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def flat_items(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` as ``("a.b", 1)``: nested figures for the tabular formats."""
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flat_items(value, f"{name}.")
        elif isinstance(value, (list, tuple)):
            yield name, ", ".join(str(cell(item)) for item in value)
        else:
            yield name, cell(value)


def safe_text(value: Any) -> Any:
    """A text cell a spreadsheet would read as a formula (leading = + - @) is written quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value
