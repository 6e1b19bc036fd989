"""Reads of bug reports: the list with comment counts, one bug with its comments, the metrics."""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from custos.modules.bugs.choices import BugSeverity, BugStatus
from custos.modules.bugs.models import BugComment, BugReport

HOUR = 3600.0


def bugs_listed(queryset: QuerySet[BugReport]) -> QuerySet[BugReport]:
    return queryset.select_related("reported_by", "assigned_to").annotate(comment_count=Count("comments"))


def bug_with_comments(queryset: QuerySet[BugReport]) -> QuerySet[BugReport]:
    comments = BugComment.objects.select_related("author").order_by("created_at")
    return bugs_listed(queryset).prefetch_related(Prefetch("comments", queryset=comments))


def _counts(queryset: QuerySet[BugReport], field: str, keys: list[str]) -> dict[str, int]:
    found = {row[field]: row["n"] for row in queryset.order_by().values(field).annotate(n=Count("id"))}
    return {key: int(found.get(key, 0)) for key in keys}


def bug_metrics(queryset: QuerySet[BugReport]) -> dict[str, Any]:
    """Counts by status and severity, and the resolution time (``resolved_at - created_at``) of the bugs
    resolved now (``resolved_at`` set): mean and median in hours, ``None`` when none is."""
    by_status = _counts(queryset, "status", list(BugStatus.values))
    by_severity = _counts(queryset, "severity", list(BugSeverity.values))
    stamps = queryset.filter(resolved_at__isnull=False).order_by().values_list("created_at", "resolved_at")
    seconds = [
        (resolved - created).total_seconds()
        for created, resolved in stamps.iterator(chunk_size=2000)
        if resolved is not None
    ]
    mean = statistics.fmean(seconds) if seconds else None
    median = statistics.median(seconds) if seconds else None
    return {
        "total": sum(by_status.values()),
        "open": by_status[BugStatus.OPEN] + by_status[BugStatus.IN_PROGRESS],
        "by_status": by_status,
        "by_severity": by_severity,
        "resolved_count": len(seconds),
        "mean_resolution_hours": None if mean is None else mean / HOUR,
        "median_resolution_hours": None if median is None else median / HOUR,
        "mean_resolution_seconds": mean,
        "median_resolution_seconds": median,
    }
