"""The quality page, over the quality module's selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from custos.console.state import console_page
from custos.console.views.common import require_organization
from custos.modules.quality import selectors as quality

SAMPLES_SHOWN = 50


@require_GET
@console_page
def quality_page(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    samples = quality.samples_of(state.org_ids)
    figures = quality.stats(samples)
    total = figures["total_analyses"]
    distribution = [
        {"grade": grade, "count": count, "percent": round(100 * count / total, 1) if total else 0.0}
        for grade, count in figures["grade_distribution"].items()
    ]
    latest = list(samples.order_by("-timestamp")[:SAMPLES_SHOWN])
    return render(
        request,
        "console/quality.html",
        {"figures": figures, "distribution": distribution, "samples": latest, "area": "quality"},
    )
