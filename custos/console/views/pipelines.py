"""Pipelines: the map (routes, segments by risk, findings with their polygons), the dashboard figures,
findings with Verify / False positive and alerts with Resolve, through the pipeline services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.console.state import console_page, is_htmx, write_context
from custos.console.views.common import one_of, require_organization
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import services as pipelines
from custos.modules.pipelines.choices import ResultStatus
from custos.modules.pipelines.models import AnalysisResult, Pipeline, PipelineSegment
from custos.modules.pipelines.selectors import dashboard_stats, pipeline_health

PIPELINE_ALERTS_SHOWN = 50
FINDINGS_SHOWN = 100
SEGMENTS_SHOWN = 2000
MAX_NOTES = 5000  # as the API's ReviewSerializer / ResolveSerializer
OPEN_FINDINGS = (ResultStatus.PENDING, ResultStatus.VERIFIED, ResultStatus.ALERT_CREATED)


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(geometry, dict) or "type" not in geometry:
        return None
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def map_data(org_ids: list[Any], findings: list[AnalysisResult]) -> dict[str, Any]:
    """GeoJSON feature collections for the map: routes, segments (with their risk) and findings (a
    point each, and the affected area's polygon where there is one)."""
    routes = [
        _feature(p.route, {"name": p.name, "status": p.status, "health": p.health_status})
        for p in Pipeline.objects.for_orgs(org_ids).order_by("name")
    ]
    segments = [
        _feature(
            seg.geometry,
            {"name": f"{seg.pipeline.name} · {seg.segment_name}", "risk": seg.risk_level},
        )
        for seg in PipelineSegment.objects.for_orgs(org_ids)
        .select_related("pipeline")
        .order_by("pipeline__name", "segment_number")[:SEGMENTS_SHOWN]
    ]
    points, areas = [], []
    for result in findings:
        label = {
            "id": str(result.pk),
            "name": f"{result.get_analysis_type_display()} ({result.get_severity_display()})",
            "severity": result.severity,
            "status": result.get_status_display(),
        }
        points.append(_feature(result.detected_location, label))
        areas.append(_feature(result.affected_area, label))

    def collection(items: list[dict[str, Any] | None]) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": [item for item in items if item is not None]}

    return {
        "routes": collection(routes),
        "segments": collection(segments),
        "findings": collection(points),
        "areas": collection(areas),
    }


def _findings(org_ids: list[Any]) -> list[AnalysisResult]:
    return list(
        AnalysisResult.objects.for_orgs(org_ids)
        .filter(status__in=OPEN_FINDINGS)
        .select_related("satellite_image__pipeline", "verified_by")
        .order_by("-created_at")[:FINDINGS_SHOWN]
    )


def _alerts(org_ids: list[Any]) -> list[Alert]:
    return list(
        Alert.objects.for_orgs(org_ids)
        .filter(source="pipeline")
        .exclude(status=AlertStatus.RESOLVED)
        .order_by("-created_at")[:PIPELINE_ALERTS_SHOWN]
    )


@require_GET
@console_page
def pipelines_page(request: HttpRequest) -> HttpResponse:
    state = require_organization(request)
    health = {row["pipeline_id"]: row for row in pipeline_health(org_ids=state.org_ids)}
    rows = [
        {"pipeline": item, "health": health.get(item.pk)}
        for item in Pipeline.objects.for_orgs(state.org_ids).order_by("name")
    ]
    findings = _findings(state.org_ids)
    context = {
        "pipelines": rows,
        "figures": dashboard_stats(org_ids=state.org_ids),
        "findings": findings,
        "alerts": _alerts(state.org_ids),
        "map": map_data(state.org_ids, findings),
        "area": "pipelines",
    }
    return render(request, "console/pipelines.html", context)


@require_GET
@console_page
def alerts_panel(request: HttpRequest) -> HttpResponse:
    """The open pipeline alerts alone (refreshed live on ``alert_update``)."""
    state = require_organization(request)
    return render(request, "console/_pipeline_alerts.html", {"alerts": _alerts(state.org_ids)})


def _notes(request: HttpRequest) -> str:
    notes = request.POST.get("notes", "").strip()
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(f"Notes are at most {MAX_NOTES} characters.")
    return notes


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(reverse("console:pipelines"))


@require_POST
@console_page
def finding_review(request: HttpRequest, result_id: str, verdict: str) -> HttpResponse:
    """Verify a finding, or mark it a false positive (its open alert is resolved with it)."""
    state = require_organization(request)
    result = one_of(AnalysisResult.objects.for_orgs(state.org_ids).select_related("alert"), result_id, what="Finding")
    notes = _notes(request)
    ctx = write_context(request)
    if verdict == "verify":
        result = pipelines.result_verify(ctx, result, notes=notes)
    else:
        result = pipelines.result_mark_false_positive(ctx, result, notes=notes)
    if is_htmx(request):
        return render(request, "console/_finding_row.html", {"finding": result})
    return _back(request)


@require_POST
@console_page
def alert_resolve(request: HttpRequest, alert_id: str) -> HttpResponse:
    state = require_organization(request)
    open_alerts = Alert.objects.for_orgs(state.org_ids).filter(source="pipeline").exclude(status=AlertStatus.RESOLVED)
    alert = one_of(open_alerts, alert_id, what="Alert")
    alert = pipelines.pipeline_alert_resolve(write_context(request), alert, notes=_notes(request))
    if is_htmx(request):
        return render(request, "console/_pipeline_alert_row.html", {"alert": alert})
    return _back(request)
