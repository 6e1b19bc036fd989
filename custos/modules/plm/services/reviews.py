"""Reviews of a design: assigned reviewers decide; all approve -> the design is APPROVED, any reject ->
REJECTED with the reason. ``design_approve`` is a reviewer's approval through the design itself."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from custos.audit.writes import audited_action, audited_create, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from custos.modules.plm import access
from custos.modules.plm.choices import OPEN_REVIEW, REVIEWABLE, Decision, DesignStatus, ReviewStatus
from custos.modules.plm.models import DesignAsset, ReviewDecision, ReviewSession
from custos.orgs.models import Membership

NOT_REVIEWER = "Only an assigned reviewer of this review may approve or reject it."


def _reviewers(design: DesignAsset, ids: Iterable[Any]) -> list[Any]:
    """The users named, each a member of the design's organization who may open the design."""
    wanted = list(dict.fromkeys(str(getattr(value, "pk", value)) for value in ids))
    if not wanted:
        raise ValidationFailed(field_errors={"reviewers": ["Name at least one reviewer."]})
    members = set(
        str(pk)
        for pk in Membership.objects.filter(organization_id=design.organization_id, user_id__in=wanted).values_list(
            "user_id", flat=True
        )
    )
    missing = [pk for pk in wanted if pk not in members]
    if missing:
        raise ValidationFailed(
            field_errors={"reviewers": [f'Invalid pk "{pk}" - object does not exist.' for pk in missing]}
        )
    users = list(get_user_model().objects.filter(pk__in=wanted))
    needed = access.design_requirement(design)
    barred = [str(user.pk) for user in users if not access.may_open(user, design, needed)]
    if barred:
        raise ValidationFailed(
            field_errors={"reviewers": [f"User {pk} may not open this design (export control)." for pk in barred]}
        )
    return users


def review_create(ctx: WriteContext, *, design_asset: DesignAsset, data: dict[str, Any]) -> ReviewSession:
    """Open a review of ``design_asset``; the design goes IN_REVIEW."""
    require_role(ctx, organization_id=design_asset.organization_id)
    with transaction.atomic():
        design = DesignAsset.objects.select_for_update().select_related("series").get(pk=design_asset.pk)
        if design.status not in REVIEWABLE:
            raise Conflict(
                f"This design is {design.status}: only a processed design (READY, APPROVED, REJECTED) is reviewed.",
                code="DESIGN_NOT_REVIEWABLE",
            )
        if ReviewSession.objects.filter(design_asset=design, status__in=OPEN_REVIEW).exists():
            raise Conflict("This design already has an open review.", code="REVIEW_OPEN")
        users = _reviewers(design, data.get("reviewers") or data.get("reviewer_ids") or [])
        review = audited_create(
            ctx,
            ReviewSession,
            values={
                "organization_id": design.organization_id,
                "design_asset": design,
                "status": ReviewStatus.IN_PROGRESS,
                "due_date": data.get("due_date"),
                "notes": data.get("notes") or "",
                "created_by": ctx.user,
            },
            audit_values={
                "design_asset": str(design.pk),
                "reviewers": [str(user.pk) for user in users],
                "due_date": data.get("due_date"),
                "notes": data.get("notes") or "",
            },
        )
        ReviewDecision.objects.bulk_create([ReviewDecision(review=review, reviewer=user) for user in users])
        audited_update(
            ctx, design, values={"status": DesignStatus.IN_REVIEW, "status_reason": ""}, action="START_REVIEW"
        )
    return review


def review_update(ctx: WriteContext, review: ReviewSession, *, data: dict[str, Any]) -> ReviewSession:
    """Due date and notes; ``status: CANCELLED`` closes an open review (the design is READY again)."""
    values: dict[str, Any] = {name: data[name] for name in ("due_date", "notes") if name in data}
    cancel = False
    if "status" in data and data["status"] != review.status:
        if data["status"] != ReviewStatus.CANCELLED:
            raise ValidationFailed(field_errors={"status": ["Only CANCELLED can be set; reviewers decide the rest."]})
        if review.status not in OPEN_REVIEW:
            raise Conflict(f"This review is already {review.status}.", code="REVIEW_CLOSED")
        values.update(status=ReviewStatus.CANCELLED, completed_at=timezone.now())
        cancel = True
    with transaction.atomic():
        if "reviewers" in data and review.status in OPEN_REVIEW and not cancel:
            users = _reviewers(review.design_asset, data["reviewers"])
            keep = {user.pk for user in users}
            review.decisions.exclude(reviewer_id__in=keep).delete()
            have = {str(pk) for pk in review.decisions.values_list("reviewer_id", flat=True)}
            ReviewDecision.objects.bulk_create(
                [ReviewDecision(review=review, reviewer=user) for user in users if str(user.pk) not in have]
            )
        review = audited_update(ctx, review, values=values)
        if cancel and review.design_asset.status == DesignStatus.IN_REVIEW:
            audited_update(ctx, review.design_asset, values={"status": DesignStatus.READY}, action="CANCEL_REVIEW")
    return review


def _decide(
    ctx: WriteContext, review: ReviewSession, *, decision: str, comments: str, reason: str = ""
) -> ReviewSession:
    with transaction.atomic():
        review = ReviewSession.objects.select_for_update().select_related("design_asset").get(pk=review.pk)
        user = ctx.user
        mine = ReviewDecision.objects.filter(review=review, reviewer=user).first() if user else None
        if user is None or mine is None:
            raise PermissionDenied(NOT_REVIEWER)
        if review.status not in OPEN_REVIEW:
            raise Conflict(f"This review is already {review.status}.", code="REVIEW_CLOSED")
        if mine.decision != Decision.PENDING:
            raise Conflict(f"You have already decided on this review ({mine.decision}).", code="ALREADY_DECIDED")
        mine.decision, mine.comments, mine.reason, mine.decided_at = decision, comments, reason, timezone.now()
        mine.save(update_fields=["decision", "comments", "reason", "decided_at"])
        audited_action(
            ctx,
            review,
            action="APPROVE" if decision == Decision.APPROVED else "REJECT",
            changes={"reviewer": str(user.pk), "comments": comments, "reason": reason},
            roles=None,
        )
        design = review.design_asset
        if decision == Decision.REJECTED:
            outcome, design_values = Decision.REJECTED, {"status": DesignStatus.REJECTED, "status_reason": reason}
        elif not review.decisions.exclude(decision=Decision.APPROVED).exists():
            outcome, design_values = Decision.APPROVED, {"status": DesignStatus.APPROVED, "status_reason": ""}
        else:
            return review
        audited_update(
            ctx,
            review,
            values={"status": ReviewStatus.COMPLETED, "outcome": outcome, "completed_at": timezone.now()},
            action="COMPLETE",
            roles=None,
        )
        audited_update(
            ctx,
            design,
            values=design_values,
            action="APPROVE" if outcome == Decision.APPROVED else "REJECT",
            roles=None,
        )
    return review


def review_approve(ctx: WriteContext, review: ReviewSession, *, comments: str = "") -> ReviewSession:
    return _decide(ctx, review, decision=Decision.APPROVED, comments=comments)


def review_reject(ctx: WriteContext, review: ReviewSession, *, comments: str = "", reason: str = "") -> ReviewSession:
    return _decide(ctx, review, decision=Decision.REJECTED, comments=comments, reason=reason or "REJECTED")


def design_approve(ctx: WriteContext, design: DesignAsset, *, notes: str = "") -> ReviewSession:
    """A reviewer approves ``design`` in its open review (403 for anyone not assigned to one)."""
    review = (
        ReviewSession.objects.filter(design_asset=design, status__in=OPEN_REVIEW, decisions__reviewer=ctx.user)
        .order_by("-created_at")
        .first()
        if ctx.user
        else None
    )
    if review is None:
        raise PermissionDenied("Only an assigned reviewer of an open review of this design may approve it.")
    return review_approve(ctx, review, comments=notes)
