"""What a report contains, and who can build it: the report kinds the domain modules register.

``custos.reports`` is a core app and never imports the domain modules. A module that has something to
report registers a *kind* at start-up (from its ``AppConfig.ready``)::

    register_report_kind(
        "quality_summary",
        title="Quality summary",
        build=build_quality_summary,             # (ReportRequest) -> ReportContent
        sections=("grades", "daily", "devices", "samples"),
        filters={"grade": clean_grade, "device_id": clean_text},
    )

The builder returns a ``ReportContent``: key figures (``summary``), tables (``Section``: columns and
rows, optionally a ``Chart``) and, for JSON only, nested ``data``. Section rows may be a generator: they
are consumed once, while the file is written, so an export of many rows never holds them all in memory.
The generators (``custos.reports.generators``) turn any content into PDF, XLSX, CSV or JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from custos.kernel.errors import ValidationFailed

FilterCleaner = Callable[[Any], Any]  # returns the clean value or raises ValueError with a message


@dataclass(frozen=True)
class Chart:
    """A chart drawn above a section's table in the PDF: ``bar`` or ``line``, one value list per series."""

    kind: str
    title: str
    categories: Sequence[str]
    series: Mapping[str, Sequence[float | None]]
    value_label: str = ""


@dataclass
class Section:
    key: str
    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    chart: Chart | None = None
    note: str = ""


@dataclass(frozen=True)
class ReportRequest:
    """What a builder is asked for: one organization, a period, clean filters, the sections wanted."""

    organization_id: Any
    start: datetime
    end: datetime
    filters: Mapping[str, Any]
    sections: tuple[str, ...]

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def wants(self, key: str) -> bool:
        return key in self.sections


@dataclass
class ReportContent:
    title: str
    summary: dict[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # nested figures, written to JSON only


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    build: Callable[[ReportRequest], ReportContent]
    sections: tuple[str, ...]
    filters: Mapping[str, FilterCleaner]
    description: str = ""

    def clean_filters(self, raw: Mapping[str, Any] | None, *, field_name: str = "filters") -> dict[str, Any]:
        """The filters as the builder takes them; an unknown name or a bad value is a 400/422 on ``field_name``."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise ValidationFailed(field_errors={field_name: ["An object of filter names and values."]})
        clean: dict[str, Any] = {}
        errors: list[str] = []
        for name, value in raw.items():
            cleaner = self.filters.get(name)
            if cleaner is None:
                allowed = ", ".join(sorted(self.filters)) or "none"
                errors.append(f"Unknown filter {name!r} for {self.name} (allowed: {allowed}).")
                continue
            if value in (None, ""):
                continue
            try:
                clean[name] = cleaner(value)
            except (TypeError, ValueError) as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            raise ValidationFailed(field_errors={field_name: errors})
        return clean

    def clean_sections(self, raw: Sequence[str] | None, *, field_name: str = "sections") -> tuple[str, ...]:
        if not raw:
            return self.sections
        unknown = [key for key in raw if key not in self.sections]
        if unknown:
            raise ValidationFailed(
                field_errors={
                    field_name: [f"Unknown sections {unknown} for {self.name}; known: {list(self.sections)}."]
                }
            )
        if len(set(raw)) != len(raw):
            raise ValidationFailed(field_errors={field_name: ["A section is named twice."]})
        return tuple(raw)


_KINDS: dict[str, ReportKind] = {}


def register_report_kind(
    name: str,
    *,
    title: str,
    build: Callable[[ReportRequest], ReportContent],
    sections: Sequence[str],
    filters: Mapping[str, FilterCleaner] | None = None,
    description: str = "",
) -> ReportKind:
    """Declare (or re-declare, e.g. on reload) a report kind; returns it."""
    kind = ReportKind(name, title, build, tuple(sections), dict(filters or {}), description)
    _KINDS[name] = kind
    return kind


def unregister_report_kind(name: str) -> None:
    _KINDS.pop(name, None)


def report_kinds() -> list[ReportKind]:
    return [_KINDS[name] for name in sorted(_KINDS)]


def get_report_kind(name: str, *, field_name: str = "report_type") -> ReportKind:
    kind = _KINDS.get(name)
    if kind is None:
        known = ", ".join(sorted(_KINDS)) or "none registered"
        raise ValidationFailed(field_errors={field_name: [f"Unknown report type {name!r} (known: {known})."]})
    return kind


# --- small cleaners the providers share -------------------------------------------------------


def clean_text(max_length: int = 100) -> FilterCleaner:
    def clean(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        value = value.strip()
        if not value or len(value) > max_length:
            raise ValueError(f"must be 1 to {max_length} characters")
        return value

    return clean


def clean_choice(choices: Sequence[str]) -> FilterCleaner:
    def clean(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(value)

    return clean
