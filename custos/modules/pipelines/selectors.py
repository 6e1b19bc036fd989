"""Reads of the pipeline domain (aggregates computed in the database with a fixed number of queries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, F, Func, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from custos.modules.pipelines.choices import PipelineStatus, ProcessingStatus, ResultStatus, RiskLevel
from custos.modules.pipelines.models import AnalysisResult, Pipeline, PipelineSegment, SatelliteImage

DISMISSED = (ResultStatus.FALSE_POSITIVE, ResultStatus.DISMISSED)


def health_status(*, analyses: int, critical: int, high: int) -> str:
    """critical: any critical result in 30 days; warning: more than 2 high; unknown: no analyses."""
    if analyses == 0:
        return "unknown"
    if critical > 0:
        return "critical"
    if high > 2:
        return "warning"
    return "healthy"


def with_segment_count(pipelines: QuerySet[Pipeline]) -> QuerySet[Pipeline]:
    """``segment_count`` per pipeline as a correlated ``SELECT COUNT(*)`` (0 without segments): unlike a
    ``Count`` over a join, the list needs no GROUP BY and its page count leaves the annotation out."""
    count = (
        PipelineSegment.objects.filter(pipeline=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return pipelines.annotate(segment_count=Subquery(count, output_field=IntegerField()))


def recent_images(*, pipeline: Pipeline, days: int) -> QuerySet[SatelliteImage]:
    since = timezone.now() - timedelta(days=days)
    return SatelliteImage.objects.filter(pipeline=pipeline, image_date__gte=since).order_by("-image_date")


def latest_image(*, pipeline: Pipeline) -> SatelliteImage | None:
    """The pipeline's most recent image (by acquisition date), with its result count."""
    return (
        SatelliteImage.objects.filter(pipeline=pipeline)
        .select_related("pipeline")
        .annotate(result_count=Count("results"))
        .order_by("-image_date", "-created_at")
        .first()
    )


def analysis_summary(*, pipeline: Pipeline) -> dict[str, Any]:
    results = AnalysisResult.objects.filter(satellite_image__pipeline=pipeline)
    since = timezone.now() - timedelta(days=30)
    images = SatelliteImage.objects.filter(pipeline=pipeline).aggregate(total=Count("id"), last=Max("image_date"))
    analyzed = SatelliteImage.objects.filter(pipeline=pipeline, processing_status=ProcessingStatus.COMPLETED).count()
    totals = results.aggregate(total=Count("id"), average=Avg("confidence_score"), last=Max("created_at"))
    recent = results.filter(created_at__gte=since).exclude(status__in=DISMISSED)

    def counts(queryset: QuerySet, field: str) -> dict[str, int]:
        return {row[field]: row["n"] for row in queryset.values(field).annotate(n=Count("id")).order_by(field)}

    by_severity_30d = counts(recent, "severity")
    return {
        "pipeline_id": pipeline.pk,
        "pipeline_name": pipeline.name,
        "total_images": images["total"],
        "analyzed_images": analyzed,
        "last_image_date": images["last"],
        "total_analyses": totals["total"],
        "average_confidence": round(totals["average"], 4) if totals["average"] is not None else None,
        "last_analysis": totals["last"],
        "by_type": counts(results, "analysis_type"),
        "by_severity": counts(results, "severity"),
        "by_status": counts(results, "status"),
        "health_status": health_status(
            analyses=recent.count(),
            critical=by_severity_30d.get(RiskLevel.CRITICAL, 0),
            high=by_severity_30d.get(RiskLevel.HIGH, 0),
        ),
    }


def dashboard_stats(*, org_ids: list[Any]) -> dict[str, Any]:
    from custos.alerts.choices import AlertStatus
    from custos.alerts.models import Alert

    week_ago = timezone.now() - timedelta(days=7)
    pipelines = Pipeline.objects.filter(organization_id__in=org_ids).aggregate(
        total=Count("id"), active=Count("id", filter=Q(status=PipelineStatus.ACTIVE))
    )
    results = AnalysisResult.objects.filter(organization_id__in=org_ids).aggregate(
        pending=Count("id", filter=Q(status=ResultStatus.PENDING)),
        recent=Count("id", filter=Q(created_at__gte=week_ago) & ~Q(status__in=DISMISSED)),
        last=Max("created_at"),
    )
    alerts = (
        Alert.objects.filter(organization_id__in=org_ids, source="pipeline")
        .exclude(status=AlertStatus.RESOLVED)
        .aggregate(active=Count("id"), critical=Count("id", filter=Q(severity=RiskLevel.CRITICAL)))
    )
    return {
        "total_pipelines": pipelines["total"],
        "active_pipelines": pipelines["active"],
        "total_images": SatelliteImage.objects.filter(organization_id__in=org_ids).count(),
        "pending_analyses": results["pending"],
        "active_alerts": alerts["active"],
        "critical_alerts": alerts["critical"],
        "recent_anomalies": results["recent"],
        "last_analysis_date": results["last"],
    }


def recent_activity(*, org_ids: list[Any], limit: int = 10) -> dict[str, Any]:
    from custos.alerts.models import Alert

    week_ago = timezone.now() - timedelta(days=7)
    return {
        "recent_results": AnalysisResult.objects.filter(organization_id__in=org_ids, created_at__gte=week_ago)
        .select_related("satellite_image__pipeline")
        .order_by("-created_at")[:limit],
        "recent_alerts": Alert.objects.filter(
            organization_id__in=org_ids, source="pipeline", created_at__gte=week_ago
        ).order_by("-created_at")[:limit],
        "recent_images": SatelliteImage.objects.filter(organization_id__in=org_ids, created_at__gte=week_ago).order_by(
            "-created_at"
        )[:limit],
    }


def pipeline_health(*, org_ids: list[Any]) -> list[dict[str, Any]]:
    since = timezone.now() - timedelta(days=30)
    live = Q(images__results__created_at__gte=since) & ~Q(images__results__status__in=DISMISSED)
    rows = (
        Pipeline.objects.filter(organization_id__in=org_ids)
        .annotate(
            total=Count("images__results", filter=live),
            critical=Count("images__results", filter=live & Q(images__results__severity=RiskLevel.CRITICAL)),
            high=Count("images__results", filter=live & Q(images__results__severity=RiskLevel.HIGH)),
            last=Max("images__results__created_at"),
        )
        .order_by("name")
    )
    return [
        {
            "pipeline_id": row.pk,
            "pipeline_name": row.name,
            "health_status": health_status(analyses=row.total, critical=row.critical, high=row.high),
            "total_analyses": row.total,
            "critical_issues": row.critical,
            "high_issues": row.high,
            "last_analysis": row.last,
        }
        for row in rows
    ]
