"""Report files from report content: PDF (reportlab, with charts), XLSX (openpyxl), CSV and JSON.

``render(content, header, file_format, target)`` writes to a binary file object. Section rows are read
once, as they are written (CSV, JSON and XLSX stream them; the PDF shows at most ``PDF_MAX_ROWS`` per
table), so memory does not grow with the number of rows.
"""

from __future__ import annotations

from typing import IO, Any

from custos.reports.generators.common import ReportHeader
from custos.reports.generators.pdf import write_pdf
from custos.reports.generators.tabular import write_csv, write_json
from custos.reports.generators.xlsx import write_xlsx
from custos.reports.registry import ReportContent

WRITERS = {"pdf": write_pdf, "excel": write_xlsx, "csv": write_csv, "json": write_json}
EXTENSIONS = {"pdf": "pdf", "excel": "xlsx", "csv": "csv", "json": "json"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "json": "application/json",
}


def render(content: ReportContent, header: ReportHeader, file_format: str, target: IO[bytes]) -> Any:
    return WRITERS[file_format](content, header, target)


__all__ = ["CONTENT_TYPES", "EXTENSIONS", "ReportHeader", "render"]
