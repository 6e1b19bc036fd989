"""PDF documents with reportlab: platypus for the layout, ``reportlab.graphics.charts`` for the charts.

Layout: the title, the report's identity (organization, period, filters, generation time), the key
figures, then each section: its title, its chart (bar or line) when it has one, and its table. A
table shows at most ``PDF_MAX_ROWS`` rows (a PDF is for reading; the CSV, Excel and JSON files hold every
row) and says how many it left out. Wide tables (more than six columns) get a landscape page.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from custos.reports.generators.common import ReportHeader, cell, flat_items, iso
from custos.reports.registry import Chart, ReportContent, Section

PDF_MAX_ROWS = 200
CELL_MAX_CHARS = 60
PALETTE = (
    colors.HexColor("#1f77b4"),
    colors.HexColor("#ff7f0e"),
    colors.HexColor("#2ca02c"),
    colors.HexColor("#d62728"),
)
TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
    ]
)


def _text(value: Any) -> str:
    value = cell(value)
    if value is None:
        return ""
    precise = isinstance(value, float) and abs(value) >= 1e6
    text = (f"{value:.6g}" if precise else f"{value:.4g}") if isinstance(value, float) else str(value)
    return text if len(text) <= CELL_MAX_CHARS else f"{text[: CELL_MAX_CHARS - 1]}…"


def _chart(chart: Chart, width: float) -> Drawing:
    height = 170.0
    drawing = Drawing(width, height + 30)
    drawing.add(String(0, height + 16, chart.title, fontName="Helvetica-Bold", fontSize=9))
    names = list(chart.series)
    values = [[0.0 if v is None else float(v) for v in chart.series[name]] for name in names]
    plot: Any
    if chart.kind == "line":
        plot = HorizontalLineChart()
        for index in range(len(names)):
            plot.lines[index].strokeColor = PALETTE[index % len(PALETTE)]
            plot.lines[index].strokeWidth = 1.5
    else:
        plot = VerticalBarChart()
        for index in range(len(names)):
            plot.bars[index].fillColor = PALETTE[index % len(PALETTE)]
    plot.x, plot.y, plot.width, plot.height = 40, 40, width - 60, height - 50
    plot.data = [tuple(series) for series in values] or [(0.0,)]
    plot.categoryAxis.categoryNames = [str(name) for name in chart.categories] or [""]
    plot.categoryAxis.labels.fontSize = 6
    plot.categoryAxis.labels.angle = 30 if len(chart.categories) > 6 else 0
    plot.categoryAxis.labels.boxAnchor = "ne" if len(chart.categories) > 6 else "n"
    plot.valueAxis.labels.fontSize = 6
    plot.valueAxis.valueMin = min(0.0, *(min(s) for s in values if s)) if any(values) else 0.0
    drawing.add(plot)
    if len(names) > 1:
        legend = Legend()
        legend.x, legend.y = width - 120, height + 14
        legend.fontSize = 6
        legend.alignment = "right"
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, name in enumerate(names)]
        drawing.add(legend)
    return drawing


def _table(rows: Sequence[Sequence[Any]], widths: float) -> Table:
    table = Table([[_text(value) for value in row] for row in rows], repeatRows=1, hAlign="LEFT")
    table.setStyle(TABLE_STYLE)
    return table


def _section(section: Section, styles: Any, width: float) -> tuple[list[Flowable], int]:
    flow: list[Flowable] = [Paragraph(escape(section.title), styles["Heading2"])]
    if section.chart is not None and section.chart.categories:
        flow += [_chart(section.chart, width), Spacer(1, 4 * mm)]
    rows = iter(section.rows)
    shown = list(itertools.islice(rows, PDF_MAX_ROWS))
    left = sum(1 for _ in rows)  # read to the end (still one row at a time) to say how many are not shown
    if shown:
        flow.append(_table([list(section.columns), *shown], width))
    else:
        flow.append(Paragraph("No data for this period.", styles["Italic"]))
    if left:
        flow.append(
            Paragraph(f"{left} more rows are in the CSV, Excel and JSON formats of this report.", styles["Italic"])
        )
    if section.note:
        flow.append(Paragraph(escape(section.note), styles["Normal"]))
    flow.append(Spacer(1, 6 * mm))
    return flow, len(shown) + left


def write_pdf(content: ReportContent, header: ReportHeader, target: IO[bytes]) -> int:
    wide = any(len(section.columns) > 6 for section in content.sections)
    pagesize = landscape(A4) if wide else A4
    document = SimpleDocTemplate(
        target,
        pagesize=pagesize,
        title=header.title,
        author="Custos",
        subject=header.report_type,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    styles = getSampleStyleSheet()
    width = pagesize[0] - 30 * mm
    organization = (header.organization or {}).get("name") or ""
    identity = [
        ["Organization", organization],
        ["Period", f"{iso(header.start)} to {iso(header.end)}"],
        ["Generated at", iso(header.generated_at)],
        *([f"Filter {name}", _text(value)] for name, value in header.filters.items()),
    ]
    story: list[Flowable] = [
        Paragraph(escape(header.title), styles["Title"]),
        _table(identity, width),
        Spacer(1, 6 * mm),
    ]
    if content.summary:
        story.append(Paragraph("Summary", styles["Heading2"]))
        story.append(_table([["Figure", "Value"], *flat_items(content.summary)], width))
        story.append(Spacer(1, 6 * mm))
    rows = 0
    for section in content.sections:
        flow, count = _section(section, styles, width)
        story += flow
        rows += count
    document.build(story)
    return rows
