"""``text/csv`` readings: ``timestamp,value[,metric]`` (or the view's ``csv_columns``), header optional."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

MAX_LISTED = 20


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # the service refuses it as "not a number", with the row's index


class ReadingsCSVParser(BaseParser):
    media_type = "text/csv"

    # The stubs require a Mapping; DRF itself takes any parsed value as request.data (JSON may be a list too).
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> list[dict[str, Any]]:
        view = (parser_context or {}).get("view")
        columns: tuple[str, ...] = getattr(view, "csv_columns", ("timestamp", "value", "metric"))
        required = len(columns) - 1  # the last column (metric) is optional
        charset = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = (stream.read() if stream is not None else b"").decode(charset)
        except UnicodeDecodeError as exc:
            raise ParseError(f"CSV parse error - not {charset}: {exc}") from None
        lines = [line for line in csv.reader(io.StringIO(text)) if line and any(cell.strip() for cell in line)]
        if lines and all(cell.strip().lower() in columns for cell in lines[0]):  # a header line
            header = tuple(cell.strip().lower() for cell in lines[0])
            if len(set(header)) != len(header) or not {"timestamp", "value"} <= set(header):
                raise ParseError(f"CSV parse error - header {','.join(header)}; columns are {', '.join(columns)}.")
            columns, lines = header, lines[1:]
            required = len(columns)
        rows: list[dict[str, Any]] = []
        bad: list[str] = []
        for number, cells in enumerate(lines):
            if not required <= len(cells) <= len(columns):
                bad.append(f"row {number}: {len(cells)} columns")
                continue
            row: dict[str, Any] = {}
            for name, cell in zip(columns, cells, strict=False):
                cell = cell.strip()
                if cell == "":
                    continue  # missing: reported by the service
                if name == "value" or (name == "timestamp" and cell.replace(".", "", 1).isdigit()):
                    cell = _number(cell)  # epoch seconds are numbers too
                row[name] = cell
            rows.append(row)
        if bad:
            listed = "; ".join(bad[:MAX_LISTED])
            raise ParseError(f"CSV parse error - expected {required} to {len(columns)} columns: {listed}.")
        return rows
