"""Design series: a part number of an organization and its classification."""

from __future__ import annotations

from typing import Any

from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed
from custos.modules.plm import access
from custos.modules.plm.models import DesignSeries

SERIES_FIELDS = ("part_number", "name", "description", "category", "classification")


def _unique_part_number(*, organization_id: Any, part_number: str, exclude: Any = None) -> None:
    clash = DesignSeries.objects.filter(organization_id=organization_id, part_number=part_number)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"part_number": ["A design series with this part number already exists."]})


def series_create(ctx: WriteContext, *, data: dict[str, Any]) -> DesignSeries:
    require_role(ctx, organization_id=ctx.organization_id)
    values = {name: data[name] for name in SERIES_FIELDS if name in data}
    access.require_may_classify(
        ctx, organization_id=ctx.organization_id, classification=values.get("classification", "UNCLASSIFIED")
    )
    _unique_part_number(organization_id=ctx.organization_id, part_number=values["part_number"])
    return audited_create(
        ctx, DesignSeries, values={"organization_id": ctx.organization_id, "created_by": ctx.user, **values}
    )


def series_update(ctx: WriteContext, series: DesignSeries, *, data: dict[str, Any]) -> DesignSeries:
    values = {name: data[name] for name in SERIES_FIELDS if name in data}
    if "classification" in values:
        access.require_may_classify(
            ctx, organization_id=series.organization_id, classification=values["classification"]
        )
    if "part_number" in values:
        _unique_part_number(
            organization_id=series.organization_id, part_number=values["part_number"], exclude=series.pk
        )
    return audited_update(ctx, series, values=values)


def series_delete(ctx: WriteContext, series: DesignSeries) -> None:
    require_role(ctx, organization_id=series.organization_id)
    if series.designs.exists():
        raise Conflict("This series still has design versions; delete or archive them first.", code="SERIES_NOT_EMPTY")
    audited_delete(ctx, series)
