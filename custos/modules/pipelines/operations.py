"""The pipeline document's periodic and manual tasks (its "Background Tasks" tables), as plain functions
the Celery tasks in ``tasks.py`` call. Each is idempotent and safe to run again."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.alerts.services import alert_raise
from custos.audit.services import audit_record
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import selectors, services
from custos.modules.pipelines.choices import AlertType, PipelineStatus, ProcessingStatus, ResultStatus
from custos.modules.pipelines.models import AnalysisResult, Pipeline, SatelliteImage
from custos.modules.pipelines.processing import configuration_for, image_analyze
from custos.modules.pipelines.sources import source_for
from custos.ops.models import SystemSettings

logger = logging.getLogger("custos.pipelines")

PERSISTENCE_IMAGES = 3  # a finding seen on this many images of one place is persistent
PERSISTENCE_RADIUS_M = 50.0
PERSISTENCE_DAYS = 90


# --- imagery ------------------------------------------------------------------------------------


def pipeline_fetch_imagery(*, pipeline_id: Any, when: datetime | None = None) -> dict[str, Any]:
    pipeline = Pipeline.objects.get(pk=pipeline_id)
    configuration = configuration_for(pipeline)
    source = source_for(configuration)
    if source is None:
        return {"pipeline_id": str(pipeline.pk), "created": 0, "reason": "no imagery source configured"}
    now = when or timezone.now()
    if configuration.imagery_source == "stac":
        since = configuration.last_fetched_at or now - timedelta(hours=configuration.monitoring_frequency_hours)
        fetched = source.fetch(pipeline=pipeline, configuration=configuration, since=since, until=now)
    else:
        fetched = source.fetch(pipeline=pipeline, configuration=configuration, when=now)
    created = []
    for image in fetched:
        data = {
            "image_date": image.image_date,
            "satellite_name": image.satellite_name,
            "sensor": image.sensor,
            "source_api": image.source_api,
            "bands": image.bands,
        }
        try:
            stored = services.image_create(
                WriteContext.system(organization_id=pipeline.organization_id),
                pipeline=pipeline,
                data={**data, "image_file": ContentFile(image.geotiff, name="fetched.tif")},
            )
        except ValidationFailed as exc:  # already fetched, or a scene that fails our checks
            logger.info("skipped a fetched image of %s: %s", pipeline.pk, exc.field_errors or exc.message)
            continue
        SatelliteImage.objects.filter(pk=stored.pk).update(metadata={**stored.metadata, **image.metadata})
        created.append(str(stored.pk))
    if configuration.pk:
        configuration.last_fetched_at = now
        configuration.save(update_fields=["last_fetched_at", "updated_at"])
    return {"pipeline_id": str(pipeline.pk), "created": len(created), "image_ids": created}


def pipelines_due_for_imagery(*, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    due = []
    for pipeline in Pipeline.objects.filter(status=PipelineStatus.ACTIVE).select_related("configuration"):
        configuration = getattr(pipeline, "configuration", None)
        if configuration is None or configuration.imagery_source == "none" or not configuration.analysis_enabled:
            continue
        last = configuration.last_fetched_at
        if last is None or now - last >= timedelta(hours=configuration.monitoring_frequency_hours):
            due.append(str(pipeline.pk))
    return due


def pending_image_ids(*, limit: int = 100) -> list[str]:
    return [
        str(pk)
        for pk in SatelliteImage.objects.filter(processing_status=ProcessingStatus.PENDING)
        .exclude(image_file="")
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ]


def images_process_batch(*, image_ids: list[Any]) -> dict[str, Any]:
    outcomes = [image_analyze(image_id=image_id) for image_id in image_ids]
    return {
        "processed": len(outcomes),
        "completed": sum(1 for o in outcomes if o["status"] == "completed"),
        "failed": sum(1 for o in outcomes if o["status"] == "failed"),
        "results": sum(o.get("results", 0) for o in outcomes),
    }


# --- anomalies over time ------------------------------------------------------------------------


def _metres(a: list[float], b: list[float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * 111_320.0 * math.cos(lat), (a[1] - b[1]) * 111_320.0)


def pipeline_detect_anomalies(*, pipeline_id: Any) -> dict[str, Any]:
    """Findings of one type that recur at one place (within 50 m) on at least 3 images of the last 90 days
    are persistent: each such place raises one ``maintenance_required`` alert (once, while it is open)."""
    pipeline = Pipeline.objects.get(pk=pipeline_id)
    since = timezone.now() - timedelta(days=PERSISTENCE_DAYS)
    rows = (
        AnalysisResult.objects.filter(satellite_image__pipeline=pipeline, created_at__gte=since)
        .exclude(status__in=(ResultStatus.FALSE_POSITIVE, ResultStatus.DISMISSED))
        .exclude(detected_location=None)
        .order_by("created_at")
        .values_list("analysis_type", "detected_location", "satellite_image_id", "severity")
    )
    clusters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for analysis_type, location, image_id, severity in rows:
        point = location["coordinates"]
        for cluster in clusters[analysis_type]:
            if _metres(cluster["centre"], point) <= PERSISTENCE_RADIUS_M:
                cluster["images"].add(image_id)
                cluster["severities"].append(severity)
                break
        else:
            clusters[analysis_type].append({"centre": point, "images": {image_id}, "severities": [severity]})
    raised = 0
    persistent = 0
    for analysis_type, found in clusters.items():
        for cluster in found:
            if len(cluster["images"]) < PERSISTENCE_IMAGES:
                continue
            persistent += 1
            key = f"{analysis_type}@{cluster['centre'][0]:.5f},{cluster['centre'][1]:.5f}"
            open_alert = (
                Alert.objects.filter(organization_id=pipeline.organization_id, source="pipeline", subject_id=key)
                .exclude(status=AlertStatus.RESOLVED)
                .exists()
            )
            if open_alert:
                continue
            worst = max(cluster["severities"], key=["low", "medium", "high", "critical"].index)
            alert_raise(
                WriteContext.system(organization_id=pipeline.organization_id),
                organization_id=pipeline.organization_id,
                source="pipeline",
                alert_type=AlertType.MAINTENANCE_REQUIRED,
                severity=worst,
                title=f"Persistent {analysis_type.replace('_', ' ')} on {pipeline.name}",
                message=(
                    f"{analysis_type.replace('_', ' ').capitalize()} seen on {len(cluster['images'])} images within "
                    f"{PERSISTENCE_RADIUS_M:.0f} m of ({cluster['centre'][0]:.5f}, {cluster['centre'][1]:.5f}) "
                    f"in the last {PERSISTENCE_DAYS} days."
                ),
                subject_type="pipelines.PersistentAnomaly",
                subject_id=key,
                data={"pipeline_id": str(pipeline.pk), "images": sorted(str(i) for i in cluster["images"])},
                recipients=list(configuration_for(pipeline).notification_emails),
            )
            raised += 1
    return {"pipeline_id": str(pipeline.pk), "persistent": persistent, "alerts_raised": raised}


# --- health -------------------------------------------------------------------------------------


def pipelines_update_health(*, pipeline_id: Any = None) -> dict[str, str]:
    org_ids = list(Pipeline.objects.values_list("organization_id", flat=True).distinct())
    rows = selectors.pipeline_health(org_ids=org_ids)
    if pipeline_id is not None:
        rows = [row for row in rows if str(row["pipeline_id"]) == str(pipeline_id)]
    now = timezone.now()
    for row in rows:
        Pipeline.objects.filter(pk=row["pipeline_id"]).update(health_status=row["health_status"], health_updated_at=now)
    return {str(row["pipeline_id"]): row["health_status"] for row in rows}


# --- retention ----------------------------------------------------------------------------------


def cleanup_old_data(*, now: datetime | None = None) -> dict[str, int]:
    """Images past ``image_retention_days`` (with their files), and closed results and resolved pipeline
    alerts past ``data_retention_days``. Open work is never removed. The audit log is kept whole."""
    now = now or timezone.now()
    system = SystemSettings.load()
    image_cutoff = now - timedelta(days=system.image_retention_days)
    data_cutoff = now - timedelta(days=system.data_retention_days)
    closed = (ResultStatus.FALSE_POSITIVE, ResultStatus.DISMISSED, ResultStatus.RESOLVED)
    old_images = SatelliteImage.objects.filter(image_date__lt=image_cutoff).exclude(
        results__status__in=(ResultStatus.PENDING, ResultStatus.VERIFIED, ResultStatus.ALERT_CREATED)
    )
    files = [name for pair in old_images.values_list("image_file", "thumbnail") for name in pair if name]
    released: dict[Any, list[SatelliteImage]] = defaultdict(list)
    for image in old_images.only("pk", "organization_id", "metadata"):
        released[image.organization_id].append(image)
    with transaction.atomic():
        _total, removed = old_images.delete()
        for organization_id, images in released.items():
            services.release_image_storage(organization_id=organization_id, images=images)
        images = removed.get("pipelines.SatelliteImage", 0)
        cascaded = removed.get("pipelines.AnalysisResult", 0)
        _total, removed = AnalysisResult.objects.filter(created_at__lt=data_cutoff, status__in=closed).delete()
        results = cascaded + removed.get("pipelines.AnalysisResult", 0)
        alerts, _ = Alert.objects.filter(
            source="pipeline", status=AlertStatus.RESOLVED, resolved_at__lt=data_cutoff
        ).delete()
        counts = {"images": images, "results": results, "alerts": alerts, "files": len(files)}
        audit_record(WriteContext.system(), action="CLEANUP", resource_type="PipelineData", changes=counts)

        def delete_files() -> None:
            for name in files:
                default_storage.delete(name)

        transaction.on_commit(delete_files)
    return counts


# --- notifications and reports ------------------------------------------------------------------


def send_alert_digest() -> int:
    """One e-mail per organization listing its open pipeline alerts, to everyone those alerts name."""
    system = SystemSettings.load()
    if not (system.email_notifications and system.alert_notifications):
        return 0
    sent = 0
    by_org: dict[Any, list[Alert]] = defaultdict(list)
    for alert in Alert.objects.filter(source="pipeline").exclude(status=AlertStatus.RESOLVED).order_by("created_at"):
        by_org[alert.organization_id].append(alert)
    for alerts in by_org.values():
        recipients = sorted({email for alert in alerts for email in alert.recipients})
        if not recipients:
            continue
        lines = [
            f"- [{a.severity.upper()}] {a.title or a.alert_type} (since {a.created_at:%Y-%m-%d %H:%M} UTC)"
            for a in alerts
        ]
        send_mail(
            subject=f"[{system.site_name}] {len(alerts)} open pipeline alert(s)",
            message="Open pipeline alerts:\n\n" + "\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent += 1
    return sent


def daily_report(*, day: datetime | None = None) -> list[str]:
    """A CSV per organization: each pipeline's health, images, findings by severity and open alerts of the
    24 hours before ``day`` (default now); stored under ``reports/pipelines/<organization>/<date>.csv``."""
    end = day or timezone.now()
    start = end - timedelta(days=1)
    paths = []
    for organization_id in Pipeline.objects.values_list("organization_id", flat=True).distinct():
        pipelines = (
            Pipeline.objects.filter(organization_id=organization_id)
            .annotate(
                images_24h=Count("images", filter=Q(images__created_at__range=(start, end)), distinct=True),
                findings_24h=Count("images__results", filter=Q(images__results__created_at__range=(start, end))),
                critical_24h=Count(
                    "images__results",
                    filter=Q(images__results__created_at__range=(start, end), images__results__severity="critical"),
                ),
            )
            .order_by("name")
        )
        open_alerts: defaultdict[str | None, int] = defaultdict(int)
        for alert in Alert.objects.filter(organization_id=organization_id, source="pipeline").exclude(
            status=AlertStatus.RESOLVED
        ):
            open_alerts[alert.data.get("pipeline_id")] += 1
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["pipeline", "status", "health", "images_24h", "findings_24h", "critical_24h", "open_alerts"])
        for pipeline in pipelines:
            writer.writerow(
                [
                    pipeline.name,
                    pipeline.status,
                    pipeline.health_status,
                    pipeline.images_24h,
                    pipeline.findings_24h,
                    pipeline.critical_24h,
                    open_alerts[str(pipeline.pk)],
                ]
            )
        name = f"reports/pipelines/{organization_id}/{end:%Y-%m-%d}.csv"
        if default_storage.exists(name):
            default_storage.delete(name)
        paths.append(default_storage.save(name, ContentFile(buffer.getvalue().encode())))
    return paths


def export_monitoring_data(*, pipeline_id: Any, fmt: str = "geojson") -> str:
    """All analysis results of a pipeline as a GeoJSON FeatureCollection or CSV, stored under
    ``exports/pipelines/<organization>/``; returns the stored file name."""
    if fmt not in {"geojson", "csv"}:
        raise ValidationFailed(field_errors={"format": ["Expected geojson or csv."]})
    pipeline = Pipeline.objects.get(pk=pipeline_id)
    results = AnalysisResult.objects.filter(satellite_image__pipeline=pipeline).select_related("satellite_image")
    columns = ("id", "analysis_type", "severity", "confidence_score", "status", "image_date", "created_at")

    def properties(result: AnalysisResult) -> dict[str, Any]:
        return {
            "id": str(result.pk),
            "analysis_type": result.analysis_type,
            "severity": result.severity,
            "confidence_score": result.confidence_score,
            "status": result.status,
            "image_date": result.satellite_image.image_date.isoformat(),
            "created_at": result.created_at.isoformat(),
        }

    if fmt == "geojson":
        features = [
            {"type": "Feature", "geometry": r.affected_area or r.detected_location, "properties": properties(r)}
            for r in results
        ]
        content = json.dumps({"type": "FeatureCollection", "name": pipeline.name, "features": features}).encode()
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*columns, "lon", "lat"])
        for r in results:
            lon, lat = (r.detected_location or {}).get("coordinates", [None, None])
            writer.writerow([*(properties(r)[c] for c in columns), lon, lat])
        content = buffer.getvalue().encode()
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    name = f"exports/pipelines/{pipeline.organization_id}/{pipeline.pk}-{stamp}.{fmt}"
    return default_storage.save(name, ContentFile(content))
