"""Markups: 3D annotations on a design, optionally within one of its reviews; resolved or dismissed."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed, does_not_exist
from custos.modules.plm.choices import MarkupStatus
from custos.modules.plm.models import DesignAsset, Markup, ReviewSession

MARKUP_FIELDS = ("position", "camera_position", "camera_target", "annotation_text", "severity")


def _point(value: Any, field: str) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"x", "y", "z"}:
        raise ValidationFailed(field_errors={field: ["An object {x, y, z} of numbers."]})
    try:
        point = {axis: float(value[axis]) for axis in ("x", "y", "z")}
    except (TypeError, ValueError):
        raise ValidationFailed(field_errors={field: ["An object {x, y, z} of numbers."]}) from None
    if any(number != number or abs(number) == float("inf") for number in point.values()):
        raise ValidationFailed(field_errors={field: ["Finite numbers only."]})
    return point


def _values(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in MARKUP_FIELDS if name in data}
    for name in ("position", "camera_position", "camera_target"):
        if name in values:
            values[name] = _point(values[name], name)
    if "position" in values and values["position"] is None:
        raise ValidationFailed(field_errors={"position": ["This field may not be null."]})
    return values


def markup_create(ctx: WriteContext, *, design_asset: DesignAsset, data: dict[str, Any]) -> Markup:
    require_role(ctx, organization_id=design_asset.organization_id)
    review = None
    value = data.get("review_session")
    if value not in (None, ""):
        pk = getattr(value, "pk", value)
        review = ReviewSession.objects.filter(pk=pk, design_asset=design_asset).first()
        if review is None:
            raise does_not_exist("review_session", pk)
    values = _values(data)
    return audited_create(
        ctx,
        Markup,
        values={
            "organization_id": design_asset.organization_id,
            "design_asset": design_asset,
            "review_session": review,
            "author": ctx.user,
            **values,
        },
    )


def markup_update(ctx: WriteContext, markup: Markup, *, data: dict[str, Any]) -> Markup:
    if "review_session" in data and str(getattr(data["review_session"], "pk", data["review_session"]) or "") != str(
        markup.review_session_id or ""
    ):
        raise ValidationFailed(field_errors={"review_session": ["A markup cannot move to another review."]})
    return audited_update(ctx, markup, values=_values(data))


def markup_delete(ctx: WriteContext, markup: Markup) -> None:
    audited_delete(ctx, markup)


def _close(ctx: WriteContext, markup: Markup, *, status: str, values: dict[str, Any], action: str) -> Markup:
    require_role(ctx, organization_id=markup.organization_id)
    if markup.status != MarkupStatus.OPEN:
        raise Conflict(f"This markup is already {markup.status}.", code="MARKUP_CLOSED")
    return audited_update(ctx, markup, values={"status": status, **values}, action=action)


def markup_resolve(ctx: WriteContext, markup: Markup, *, resolution_notes: str = "") -> Markup:
    return _close(
        ctx,
        markup,
        status=MarkupStatus.RESOLVED,
        values={"resolved_at": timezone.now(), "resolved_by": ctx.user, "resolution_notes": resolution_notes},
        action="RESOLVE",
    )


def markup_dismiss(ctx: WriteContext, markup: Markup, *, reason: str = "") -> Markup:
    return _close(
        ctx,
        markup,
        status=MarkupStatus.DISMISSED,
        values={"resolved_at": timezone.now(), "resolved_by": ctx.user, "dismissed_reason": reason},
        action="DISMISS",
    )
