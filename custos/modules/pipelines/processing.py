"""Analysing a stored satellite image: read the corridor, run the detectors, store results, raise alerts.

Runs in a worker (``tasks.analyze_satellite_image``). Idempotent: a completed image is not analysed
again, and a re-run after a failure replaces the results it had left in ``pending``.
"""

from __future__ import annotations

import logging
from typing import Any

import shapely
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from pyproj import Transformer

from custos.alerts.choices import SEVERITY_RANK
from custos.alerts.services import alert_raise
from custos.audit.writes import audited_action
from custos.kernel.context import WriteContext
from custos.kernel.errors import DomainError
from custos.modules.pipelines import geometry
from custos.modules.pipelines.analysis.engine import Detection, analyze_scene
from custos.modules.pipelines.choices import ALERT_FOR_ANALYSIS, ProcessingStatus, ResultStatus
from custos.modules.pipelines.imagery import read_corridor
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    PipelineSegment,
    SatelliteImage,
)
from custos.ops.models import SystemSettings

logger = logging.getLogger("custos.pipelines")
# SEVERITY_RANK keyed by the stored values (results and segments hold plain strings).
_SEVERITY_RANK: dict[str, int] = {level.value: rank for level, rank in SEVERITY_RANK.items()}


def configuration_for(pipeline: Any) -> MonitoringConfiguration:
    """The pipeline's configuration, or the documented defaults (unsaved) when it has none."""
    existing = MonitoringConfiguration.objects.filter(pipeline=pipeline).first()
    return existing or MonitoringConfiguration(pipeline=pipeline, organization_id=pipeline.organization_id)


def _read(image: SatelliteImage, configuration: MonitoringConfiguration):
    with image.image_file.open("rb") as handle:
        return read_corridor(
            handle,
            bands=image.bands,
            route_lonlat=image.pipeline.route["coordinates"],
            facilities_lonlat=configuration.facility_points,
            buffer_m=configuration.buffer_m,
        )


def _previous_scene(image: SatelliteImage, configuration: MonitoringConfiguration, current: Any):
    """The latest earlier analysed image of the pipeline on the same grid, or ``None``."""
    earlier = (
        SatelliteImage.objects.filter(
            pipeline=image.pipeline,
            image_date__lt=image.image_date,
            processing_status=ProcessingStatus.COMPLETED,
            crs=image.crs,
        )
        .exclude(image_file="")
        .order_by("-image_date")
        .first()
    )
    if earlier is None:
        return None
    previous = _read(earlier, configuration)
    same_grid = previous.scene.shape == current.scene.shape and previous.scene.transform.almost_equals(
        current.scene.transform
    )
    return previous.scene if same_grid else None


def _to_wgs84(crs: str):
    project = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform
    return lambda geom: shapely.transform(geom, lambda x, y: project(x, y), interleaved=False)


def _result_values(detection: Detection, to_wgs84: Any) -> dict[str, Any]:
    location = to_wgs84(detection.location)
    area = to_wgs84(detection.affected_area)
    return {
        "analysis_type": detection.analysis_type,
        "confidence_score": detection.confidence,
        "severity": detection.severity,
        "detected_location": geometry.to_geojson(location),
        "affected_area": geometry.to_geojson(area),
        "description": detection.description,
        "raw_data": {
            **detection.statistics,
            "area_m2": round(detection.area_m2, 1),
            "distance_to_pipe_m": round(detection.distance_to_pipe_m, 1),
            "centroid_px": [round(v, 2) for v in detection.centroid_px],
            "engine": "custos.spectral.v1",
        },
    }


def _raise_alerts(image: SatelliteImage, results: list[AnalysisResult], configuration: MonitoringConfiguration):
    if not configuration.alerts_enabled:
        return []
    raised = []
    for result in results:
        if result.confidence_score < configuration.confidence_threshold and result.severity != "critical":
            continue
        alert = alert_raise(
            WriteContext.system(organization_id=image.organization_id),
            organization_id=image.organization_id,
            source="pipeline",
            alert_type=ALERT_FOR_ANALYSIS[result.analysis_type],
            severity=result.severity,
            title=f"{result.get_analysis_type_display()} on {image.pipeline.name}",
            message=f"{result.description} Image {image.satellite_name} of {image.image_date:%Y-%m-%d}.",
            subject_type="pipelines.AnalysisResult",
            subject_id=result.pk,
            data={"pipeline_id": str(image.pipeline_id), "analysis_result_id": str(result.pk)},
            recipients=list(configuration.notification_emails),
        )
        result.alert = alert
        result.status = ResultStatus.ALERT_CREATED
        result.save(update_fields=["alert", "status", "updated_at"])
        raised.append(alert)
    return raised


def notify_alerts(alert_ids: list[Any]) -> int:
    """E-mail each alert to its recipients (when notifications are on); stamps ``sent_at``. Returns mails sent."""
    from custos.alerts.models import Alert

    system = SystemSettings.load()
    if not (system.email_notifications and system.alert_notifications):
        return 0
    sent = 0
    for alert in Alert.objects.filter(pk__in=alert_ids, sent_at__isnull=True):
        if not alert.recipients:
            continue
        send_mail(
            subject=f"[{system.site_name}] {alert.severity.upper()}: {alert.title or alert.alert_type}",
            message=f"{alert.message}\n\nAlert {alert.pk} raised at {alert.created_at:%Y-%m-%d %H:%M} UTC.",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=list(alert.recipients),
        )
        alert.sent_at = timezone.now()
        alert.save(update_fields=["sent_at", "updated_at"])
        sent += 1
    return sent


def _update_segment_risk(image: SatelliteImage, results: list[AnalysisResult], buffer_m: float) -> None:
    """A segment within the buffer of a finding takes at least that finding's severity as its risk."""
    from shapely.geometry import LineString, shape

    metres_per_degree = 111_320.0
    for segment in PipelineSegment.objects.filter(pipeline=image.pipeline).exclude(geometry=None):
        line = LineString(segment.geometry["coordinates"])
        worst = segment.risk_level
        for result in results:
            if result.detected_location is None:
                continue
            distance_m = line.distance(shape(result.detected_location)) * metres_per_degree
            if distance_m <= buffer_m and _SEVERITY_RANK[result.severity] > _SEVERITY_RANK[worst]:
                worst = result.severity
        if worst != segment.risk_level:
            segment.risk_level = worst
            segment.save(update_fields=["risk_level", "updated_at"])


def _retire_unreviewed(image: SatelliteImage) -> None:
    """Before a re-analysis: the engine's results nobody has reviewed are replaced, and their open alerts
    resolved as superseded. Reviewed and hand-entered results stay."""
    from custos.alerts.services import alert_resolve

    stale = image.results.filter(
        verified_by__isnull=True, status__in=(ResultStatus.PENDING, ResultStatus.ALERT_CREATED)
    ).filter(raw_data__has_key="engine")
    for result in stale.select_related("alert"):
        if result.alert is not None and not result.alert.is_resolved:
            alert_resolve(WriteContext.system(), result.alert, notes="Superseded by a new analysis of the image.")
    stale.delete()


def _reviewed_findings(image: SatelliteImage) -> list[tuple[str, list[float]]]:
    return [
        (analysis_type, raw["centroid_px"])
        for analysis_type, raw in image.results.filter(raw_data__has_key="centroid_px").values_list(
            "analysis_type", "raw_data"
        )
    ]


def _already_reviewed(detection: Detection, kept: list[tuple[str, list[float]]]) -> bool:
    """A finding someone already reviewed (same type, centroid within 2 px) is not reported again."""
    row, col = detection.centroid_px
    return any(kind == detection.analysis_type and (row - r) ** 2 + (col - c) ** 2 <= 4.0 for kind, (r, c) in kept)


def _fail(image: SatelliteImage, reason: str) -> dict[str, Any]:
    SatelliteImage.objects.filter(pk=image.pk).update(
        processing_status=ProcessingStatus.FAILED, processing_error=reason[:2000], updated_at=timezone.now()
    )
    return {"image_id": str(image.pk), "status": "failed", "error": reason}


def image_analyze(*, image_id: Any) -> dict[str, Any]:
    """Analyse the stored raster of an image (in a worker). Whatever goes wrong, the image ends ``failed``
    with the reason, never ``processing``; a completed image is not analysed again."""
    image = SatelliteImage.objects.select_related("pipeline").get(pk=image_id)
    if image.processing_status == ProcessingStatus.COMPLETED:
        return {"image_id": str(image.pk), "status": "completed", "results": image.results.count(), "skipped": True}
    if not image.image_file:
        return _fail(image, "The image has no raster file.")
    SatelliteImage.objects.filter(pk=image.pk).update(processing_status=ProcessingStatus.PROCESSING)
    try:
        return _analyze(image)
    except Exception as exc:  # every failure is recorded on the image; the caller (a Job) records it too
        expected = isinstance(exc, (ValueError, OSError, DomainError))
        logger.warning("analysis of image %s failed: %s", image.pk, exc, exc_info=not expected)
        return _fail(image, getattr(exc, "message", None) or str(exc) or type(exc).__name__)


def _analyze(image: SatelliteImage) -> dict[str, Any]:
    configuration = configuration_for(image.pipeline)
    current = _read(image, configuration)
    corridor = current.corridor
    previous = _previous_scene(image, configuration, current)
    detections = analyze_scene(current.scene, corridor, previous=previous, facilities=current.facilities_px)
    to_wgs84 = _to_wgs84(current.scene.crs)
    with transaction.atomic():
        _retire_unreviewed(image)
        kept = _reviewed_findings(image)
        results = [
            AnalysisResult.objects.create(
                organization_id=image.organization_id, satellite_image=image, **_result_values(d, to_wgs84)
            )
            for d in detections
            if not _already_reviewed(d, kept)
        ]
        alerts = _raise_alerts(image, results, configuration)
        _update_segment_risk(image, results, configuration.buffer_m)
        image.processing_status = ProcessingStatus.COMPLETED
        image.processing_error = ""
        image.metadata = {
            **image.metadata,
            "analysed_at": timezone.now().isoformat(),
            "previous_used": previous is not None,
        }
        image.save(update_fields=["processing_status", "processing_error", "metadata", "updated_at"])
        audited_action(
            WriteContext.system(organization_id=image.organization_id),
            image,
            action="ANALYZE",
            changes={"results": len(results), "alerts": len(alerts)},
            roles=None,
        )
        alert_ids = [alert.pk for alert in alerts]
        if configuration.email_notifications and alert_ids:
            transaction.on_commit(lambda: notify_alerts(alert_ids))
    return {
        "image_id": str(image.pk),
        "status": "completed",
        "results": len(results),
        "alerts": len(alerts),
        "types": sorted({d.analysis_type for d in detections}),
    }
