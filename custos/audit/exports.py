"""Audit log exports: CSV, JSON and PDF (reportlab), of the rows a filtered queryset selects.

Exports carry the rows exactly as stored (the vocabulary and content the hash chain covers), so a copy
can be verified against its hashes. Taking a copy is itself recorded (``audit_export_record``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import orjson
from django.db.models import QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from custos.audit.models import AuditLog
from custos.audit.services import audit_record
from custos.kernel.context import WriteContext

EXPORT_FORMATS = ("csv", "json", "pdf")
MAX_EXPORT_ROWS = 10000
COLUMNS = (
    "sequence",
    "id",
    "timestamp",
    "organization_id",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "resource_type",
    "resource_id",
    "resource_name",
    "success",
    "error_message",
    "ip_address",
    "user_agent",
    "request_id",
    "changes",
    "previous_hash",
    "hash",
)
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"}


def _record(row: AuditLog) -> dict[str, Any]:
    return {
        "sequence": row.sequence,
        "id": str(row.id),
        "timestamp": row.timestamp.isoformat(),
        "organization_id": str(row.organization_id) if row.organization_id else None,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "resource_name": row.resource_name,
        "success": row.success,
        "error_message": row.error_message,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "changes": row.changes,
        "previous_hash": row.previous_hash,
        "hash": row.hash,
    }


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"  # never let a spreadsheet evaluate a recorded value as a formula
    return value


def export_csv(rows: Iterable[AuditLog]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        record = _record(row)
        writer.writerow([_csv_cell(record[name]) for name in COLUMNS])
    return buffer.getvalue().encode()


def export_json(rows: Iterable[AuditLog]) -> bytes:
    records = [_record(row) for row in rows]
    return orjson.dumps({"exported_at": timezone.now().isoformat(), "count": len(records), "results": records})


def export_pdf(rows: Iterable[AuditLog], *, title: str = "Custos audit log") -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8.5)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
    )
    header = ["#", "Time (UTC)", "Actor", "Action", "Resource", "Result", "IP", "Changes"]
    data: list[list[Any]] = [header]
    count = 0
    for row in rows:
        count += 1
        changes = orjson.dumps(row.changes, option=orjson.OPT_SORT_KEYS).decode() if row.changes else ""
        data.append(
            [
                str(row.sequence),
                row.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
                Paragraph(_escape(row.actor_label or row.actor_type), small),
                row.action,
                Paragraph(_escape(f"{row.resource_type} {row.resource_name or row.resource_id}"), small),
                "ok" if row.success else "failed",
                row.ip_address or "",
                Paragraph(_escape(changes[:600]), small),
            ]
        )
    table = Table(
        data, repeatRows=1, colWidths=[12 * mm, 32 * mm, 45 * mm, 25 * mm, 55 * mm, 14 * mm, 25 * mm, 69 * mm]
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f2937")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    generated = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    story = [
        Paragraph(_escape(title), styles["Title"]),
        Paragraph(f"{count} rows, generated {generated}", styles["Normal"]),
        Spacer(1, 4 * mm),
        table,
    ]
    document.build(story)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def export_rows(queryset: QuerySet[AuditLog], export_format: str) -> tuple[bytes, str, bool]:
    """The export of at most ``MAX_EXPORT_ROWS`` rows: (content, content type, truncated)."""
    rows = list(queryset[: MAX_EXPORT_ROWS + 1])
    truncated = len(rows) > MAX_EXPORT_ROWS
    rows = rows[:MAX_EXPORT_ROWS]
    writer = {"csv": export_csv, "json": export_json, "pdf": export_pdf}[export_format]
    return writer(rows), CONTENT_TYPES[export_format], truncated


def audit_export_record(ctx: WriteContext, *, export_format: str, filters: dict[str, str], truncated: bool) -> AuditLog:
    """Record who took a copy of which rows: ``EXPORT`` of ``AuditLog`` with the format and filters."""
    return audit_record(
        ctx,
        action="EXPORT",
        resource_type="AuditLog",
        changes={"format": export_format, "filters": dict(filters), "truncated": truncated},
    )
