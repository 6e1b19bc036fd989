"""Enumerations of bug reports (specs/004-sqal-quality.md, "Bug Tracking") and the status workflow."""

from __future__ import annotations

from django.db import models


class BugSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class BugStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Where a bug may go from each status (docs/sqal-bugs.md). ``resolved`` stamps ``resolved_at``; going
# back to ``open`` or ``in_progress`` from ``resolved``/``closed`` is a reopening and clears it.
TRANSITIONS: dict[str, frozenset[str]] = {
    BugStatus.OPEN: frozenset({BugStatus.IN_PROGRESS, BugStatus.RESOLVED, BugStatus.CLOSED}),
    BugStatus.IN_PROGRESS: frozenset({BugStatus.OPEN, BugStatus.RESOLVED, BugStatus.CLOSED}),
    BugStatus.RESOLVED: frozenset({BugStatus.CLOSED, BugStatus.OPEN, BugStatus.IN_PROGRESS}),
    BugStatus.CLOSED: frozenset({BugStatus.OPEN}),
}
INITIAL_STATUSES = (BugStatus.OPEN, BugStatus.IN_PROGRESS)
DONE_STATUSES = (BugStatus.RESOLVED, BugStatus.CLOSED)
