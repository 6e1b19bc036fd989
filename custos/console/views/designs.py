"""The designs pages, over the PLM module's selectors (export control as in the API)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from custos.console.state import console_page, write_context
from custos.console.views.common import parse_uuid, require_organization
from custos.kernel.errors import NotFound
from custos.modules.plm import access as plm_access
from custos.modules.plm.models import DesignAsset, DesignSeries
from custos.modules.plm.selectors import bom_tree

DESIGNS_SHOWN = 200


@require_GET
@console_page
def design_list(request: HttpRequest) -> HttpResponse:
    """Series and their versions that the user may open (export control as in the API's lists)."""
    state = require_organization(request)
    series = list(
        DesignSeries.objects.filter(plm_access.visible_q(state.user, state.org_ids, series="")).order_by("part_number")
    )
    designs = DesignAsset.objects.filter(plm_access.visible_q(state.user, state.org_ids, design="")).order_by(
        "series_id", "-version_number"
    )
    by_series: dict[Any, list[DesignAsset]] = {}
    for design in designs[:DESIGNS_SHOWN]:
        by_series.setdefault(design.series_id, []).append(design)
    rows = [{"series": item, "designs": by_series.get(item.pk, [])} for item in series]
    return render(request, "console/designs.html", {"rows": rows, "area": "designs"})


@require_GET
@console_page
def design_detail(request: HttpRequest, design_id: str) -> HttpResponse:
    state = require_organization(request)
    design = (
        DesignAsset.objects.for_orgs(state.org_ids)
        .select_related("series")
        .filter(pk=parse_uuid(design_id, what="Design"))
        .first()
    )
    if design is None:
        raise NotFound("Design not found.")
    plm_access.check_design(write_context(request), design)  # 403 and an ITAR_VIOLATION audit row
    return render(request, "console/design.html", {"design": design, "bom": bom_tree(design), "area": "designs"})
