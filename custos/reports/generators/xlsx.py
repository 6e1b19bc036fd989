"""Excel workbooks with openpyxl's write-only mode (rows go to disk as they are appended).

Sheets: ``Summary`` (the report's identity, period and key figures), then one sheet per section (the
section's title, at most 31 characters, made unique), with a bold header row and the rows. Text cells
that a spreadsheet would take for a formula are written quoted.
"""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from custos.reports.generators.common import ReportHeader, cell, flat_items, iso, safe_text
from custos.reports.registry import ReportContent

SHEET_NAME_MAX = 31
FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(FORBIDDEN).strip()[:SHEET_NAME_MAX] or "Sheet"
    candidate, number = base, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate = f"{base[: SHEET_NAME_MAX - len(suffix)]}{suffix}"
        number += 1
    used.add(candidate.lower())
    return candidate


def write_xlsx(content: ReportContent, header: ReportHeader, target: IO[bytes]) -> int:
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()

    summary = workbook.create_sheet(_sheet_title("Summary", used))
    title = WriteOnlyCell(summary, value=header.title)
    title.font = Font(bold=True, size=14)
    summary.append([title])
    organization = (header.organization or {}).get("name")
    summary.append(["Report type", header.report_type])
    summary.append(["Organization", organization])
    summary.append(["Period start", iso(header.start)])
    summary.append(["Period end", iso(header.end)])
    summary.append(["Generated at", iso(header.generated_at)])
    for name, value in header.filters.items():
        summary.append([f"Filter {name}", safe_text(cell(value))])
    if content.summary:
        summary.append([])
        summary.append([_bold(summary, "Figure", bold), _bold(summary, "Value", bold)])
        for name, value in flat_items(content.summary):
            summary.append([name, safe_text(value)])

    rows = 0
    for section in content.sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, used))
        sheet.append([_bold(sheet, column, bold) for column in section.columns])
        for row in section.rows:
            sheet.append([safe_text(cell(value)) for value in row])
            rows += 1
    workbook.save(target)
    return rows


def _bold(sheet: object, value: str, font: Font) -> WriteOnlyCell:
    item = WriteOnlyCell(sheet, value=value)
    item.font = font
    return item
