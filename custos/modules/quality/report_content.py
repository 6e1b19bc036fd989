"""Report content of the SQAL quality samples (registered into ``custos.reports.registry`` on import;
imported by ``QualityConfig.ready``): the ``quality_summary`` report, from stored samples only.

Key figures are those of ``/api/analysis/stats/`` (total, average fused score, grade distribution,
defect rate = % of C and REJECT) over the period and filters; sections: the grade distribution (bar
chart), the daily series (line chart of the average score), per-station figures, and every sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from custos.modules.quality import selectors
from custos.modules.quality.analysis import GRADES
from custos.modules.quality.models import QualitySample
from custos.reports.registry import (
    Chart,
    ReportContent,
    ReportRequest,
    Section,
    clean_choice,
    clean_text,
    register_report_kind,
)

SAMPLE_CHUNK = 2000


def _samples(request: ReportRequest) -> QuerySet[QualitySample]:
    return selectors.filter_samples(
        selectors.samples_of([request.organization_id]),
        grade=request.filters.get("grade"),
        device_id=request.filters.get("device_id"),
        start=request.start,
        end=request.end,
    )


def _sample_rows(queryset: QuerySet[QualitySample]) -> Iterator[tuple[Any, ...]]:
    rows = queryset.order_by("timestamp", "id").values_list(
        "timestamp",
        "device__device_id",
        "sample_id",
        "grade",
        "fusion_score",
        "tof_score",
        "spectral_score",
        "avg_height_mm",
        "num_defects",
        "lot_abattage",
    )
    yield from rows.iterator(chunk_size=SAMPLE_CHUNK)


def build_summary(request: ReportRequest) -> ReportContent:
    samples = _samples(request)
    summary = selectors.stats(samples)
    total = summary["total_analyses"]
    distribution = summary["grade_distribution"]
    sections: list[Section] = []
    if request.wants("grades"):
        rows = [
            (grade, distribution[grade], round(100 * distribution[grade] / total, 2) if total else 0.0)
            for grade in GRADES
        ]
        chart = Chart("bar", "Samples by grade", list(GRADES), {"samples": [distribution[g] for g in GRADES]})
        sections.append(Section("grades", "Grade distribution", ("grade", "samples", "percent"), rows, chart))
    if request.wants("daily"):
        series = selectors.timeseries(samples, interval="day")
        rows_daily = [
            (point["time"][:10], point["count"], point["average_quality"], point["average_height_mm"], point["rejects"])
            for point in series
        ]
        chart = Chart(
            "line",
            "Average quality score per day",
            [row[0] for row in rows_daily],
            {"average quality": [row[2] for row in rows_daily]},
        )
        columns: tuple[str, ...] = ("day", "samples", "average_quality", "average_height_mm", "rejects")
        sections.append(Section("daily", "Daily quality", columns, rows_daily, chart))
    if request.wants("devices"):
        per_device = (
            samples.order_by()
            .values("device__device_id")
            .annotate(
                n=Count("id"),
                average=Avg("fusion_score"),
                defective=Count("id", filter=Q(grade__in=("C", "REJECT"))),
                rejects=Count("id", filter=Q(grade="REJECT")),
            )
            .order_by("device__device_id")
        )
        rows_devices = [
            (
                row["device__device_id"],
                row["n"],
                round(float(row["average"]), 4),
                round(100 * row["defective"] / row["n"], 2),
                row["rejects"],
            )
            for row in per_device
        ]
        columns = ("device_id", "samples", "average_quality", "defect_rate", "rejects")
        sections.append(Section("devices", "Stations", columns, rows_devices))
    if request.wants("samples"):
        columns = (
            "time",
            "device_id",
            "sample_id",
            "grade",
            "quality_score",
            "vl53l8ch_score",
            "as7341_score",
            "avg_height_mm",
            "num_defects",
            "lot_abattage",
        )
        sections.append(Section("samples", "Samples", columns, _sample_rows(samples)))
    return ReportContent(title="Quality summary", summary=summary, sections=sections)


register_report_kind(
    "quality_summary",
    title="Quality summary",
    build=build_summary,
    sections=("grades", "daily", "devices", "samples"),
    filters={"grade": clean_choice(GRADES), "device_id": clean_text(64)},
    description="Graded samples over the period: key figures, grades, daily series, stations, samples.",
)
