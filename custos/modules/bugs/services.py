"""Writes of bug reports and comments (docs/sqal-bugs.md). Every write goes through the audited helpers.

Status workflow (``choices.TRANSITIONS``): ``open`` <-> ``in_progress`` -> ``resolved`` -> ``closed``;
``resolved`` stamps ``resolved_at``; ``closed`` stamps ``closed_at`` (an unresolved bug closed as
won't-fix keeps ``resolved_at`` empty); going back to ``open``/``in_progress`` from ``resolved`` or
``closed`` is a reopening and clears both stamps and the resolution. The assignee must be a member of
the bug's organization.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.audit.writes import audited_create, audited_update
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.modules.bugs.choices import DONE_STATUSES, INITIAL_STATUSES, TRANSITIONS, BugStatus
from custos.modules.bugs.models import BugComment, BugReport
from custos.orgs.models import Membership

TEXT_FIELDS = ("title", "description", "severity", "category", "steps_to_reproduce", "expected_behavior")
EDITABLE = (*TEXT_FIELDS, "actual_behavior", "environment", "resolution")
NOT_A_MEMBER = "Must be a member of the bug's organization."


def _assignee(organization_id: Any, user_id: Any) -> Any:
    """The member ``user_id`` of ``organization_id`` (422 for anyone else, existing or not)."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.select_related("user").filter(organization_id=organization_id, user_id=user_id).first()
    )
    if membership is None:
        raise ValidationFailed(field_errors={"assigned_to": [NOT_A_MEMBER]})
    return membership.user


def _status_values(bug: BugReport, new: str, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The fields a move of ``bug`` to ``new`` sets, and the audit action naming it."""
    current = bug.status
    if new not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(current, frozenset()))) or "none"
        raise ValidationFailed(field_errors={"status": [f"A {current} bug cannot become {new} (allowed: {allowed})."]})
    now = timezone.now()
    if new == BugStatus.RESOLVED:
        return {"status": new, "resolved_at": now, "closed_at": None}, "RESOLVE"
    if new == BugStatus.CLOSED:
        return {"status": new, "closed_at": now}, "CLOSE"
    if current in DONE_STATUSES:
        values: dict[str, Any] = {"status": new, "resolved_at": None, "closed_at": None}
        if "resolution" not in data:
            values["resolution"] = ""
        return values, "REOPEN"
    return {"status": new}, "UPDATE"


def bug_create(ctx: WriteContext, *, data: dict[str, Any]) -> BugReport:
    """A new report in ``ctx``'s organization, reported by the caller; ``open`` unless ``in_progress``."""
    status = data.get("status") or BugStatus.OPEN
    if status not in INITIAL_STATUSES:
        raise ValidationFailed(field_errors={"status": ["A new bug is open or in_progress."]})
    values: dict[str, Any] = {name: data[name] for name in EDITABLE if name in data and data[name] is not None}
    values.update(
        {
            "organization_id": ctx.organization_id,
            "status": status,
            "reported_by": ctx.user,
            "assigned_to": _assignee(ctx.organization_id, data.get("assigned_to")),
        }
    )
    return audited_create(ctx, BugReport, values=values)


def bug_update(ctx: WriteContext, bug: BugReport, *, data: dict[str, Any]) -> BugReport:
    """Change fields, the assignee (``null`` unassigns) and the status along the workflow."""
    values: dict[str, Any] = {name: data[name] for name in EDITABLE if name in data and data[name] is not None}
    if "assigned_to" in data:
        values["assigned_to"] = _assignee(bug.organization_id, data["assigned_to"])
    action = "UPDATE"
    with transaction.atomic():
        bug = BugReport.objects.select_for_update().get(pk=bug.pk)
        new = data.get("status")
        if new is not None and new != bug.status:
            moved, action = _status_values(bug, new, data)
            values.update(moved)
        return audited_update(ctx, bug, values=values, action=action)


def bug_comment_create(ctx: WriteContext, bug: BugReport, *, data: dict[str, Any]) -> BugComment:
    return audited_create(
        ctx,
        BugComment,
        values={"organization_id": bug.organization_id, "bug": bug, "author": ctx.user, "content": data["content"]},
    )
