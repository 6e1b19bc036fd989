"""Reads of the report app: who may fetch a report's file, the kinds on offer."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from custos.kernel.errors import Conflict, NotFound
from custos.orgs.choices import ADMIN_ROLES
from custos.orgs.selectors import role_of
from custos.reports.choices import ReportStatus
from custos.reports.models import Report
from custos.reports.registry import report_kinds


def report_may_manage(*, user: Any, report: Report) -> bool:
    """The creator, or an owner or admin of the report's organization."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if report.created_by_id is not None and report.created_by_id == user.pk:
        return True
    return role_of(user=user, organization=report.organization_id) in ADMIN_ROLES


def report_conflict_if_unfinished(report: Report) -> None:
    if report.status != ReportStatus.COMPLETED or not report.file:
        raise Conflict(f"The report is {report.status}; it has no file yet.", code="REPORT_NOT_READY")


def report_for_download(*, user: Any, organization_ids: Sequence[Any], report_id: Any) -> Report:
    """A finished report whose file ``user`` may fetch: its creator, or an owner or admin of its
    organization. Anyone else, and any other organization's report, gets 404 (never a hint)."""
    try:
        key = uuid.UUID(str(report_id))
    except ValueError:
        raise NotFound("Report not found.") from None
    report = Report.objects.filter(organization_id__in=list(organization_ids), pk=key).first()
    if report is None or not report_may_manage(user=user, report=report):
        raise NotFound("Report not found.")
    report_conflict_if_unfinished(report)
    return report


def report_types() -> list[dict[str, Any]]:
    return [
        {
            "report_type": kind.name,
            "title": kind.title,
            "description": kind.description,
            "sections": list(kind.sections),
            "filters": sorted(kind.filters),
        }
        for kind in report_kinds()
    ]
