"""CSV and JSON, streamed row by row to the target file.

CSV: with one section, the file is that table (a header row, then the rows). With several (or with key
figures), each block starts with a row holding its title, then its header and rows, then an empty row;
the key figures come first as a ``Summary`` block of ``figure,value`` rows.

JSON: ``{report, title, generated_at, organization, period_days, period, filters, summary, <data...>,
sections: {<key>: {title, columns, rows: [{column: value}], count}}}``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import IO, Any

import orjson

from custos.reports.generators.common import ReportHeader, cell, flat_items, safe_text
from custos.reports.registry import ReportContent


def write_csv(content: ReportContent, header: ReportHeader, target: IO[bytes]) -> int:
    text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    rows = 0
    blocks = len(content.sections) + (1 if content.summary else 0)
    titled = blocks > 1
    try:
        if content.summary:
            writer.writerow(["Summary"])
            writer.writerow(["figure", "value"])
            for name, value in flat_items(content.summary):
                writer.writerow([name, safe_text(value)])
            writer.writerow([])
        for section in content.sections:
            if titled:
                writer.writerow([section.title])
            writer.writerow(list(section.columns))
            for row in section.rows:
                writer.writerow([safe_text(cell(value)) for value in row])
                rows += 1
            if titled:
                writer.writerow([])
        text.flush()
    finally:
        text.detach()  # leave the binary target open for the caller
    return rows


def _object(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {column: cell(value) for column, value in zip(columns, row, strict=True)}


def write_json(content: ReportContent, header: ReportHeader, target: IO[bytes]) -> int:
    document: dict[str, Any] = {**header.as_dict(), "summary": content.summary, **content.data}
    head = orjson.dumps(document, default=cell, option=orjson.OPT_NON_STR_KEYS)
    target.write(head[:-1])  # the object stays open for the sections
    target.write(b',"sections":{' if len(document) else b'"sections":{')
    rows = 0
    for index, section in enumerate(content.sections):
        if index:
            target.write(b",")
        target.write(orjson.dumps(section.key))
        target.write(b':{"title":')
        target.write(orjson.dumps(section.title))
        target.write(b',"columns":')
        target.write(orjson.dumps(list(section.columns)))
        target.write(b',"rows":[')
        count = 0
        for row in section.rows:
            if count:
                target.write(b",")
            target.write(orjson.dumps(_object(section.columns, row), default=cell))
            count += 1
        target.write(b'],"count":')
        target.write(str(count).encode())
        target.write(b"}")
        rows += count
    target.write(b"}}")
    return rows
