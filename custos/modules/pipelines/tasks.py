"""Background work of the pipeline domain: the periodic and manual tasks of the pipeline document."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from custos.jobs.models import Job
from custos.jobs.tasks import JobTask
from custos.modules.pipelines import operations
from custos.modules.pipelines.processing import image_analyze, notify_alerts


@shared_task(name="pipelines.analyze_satellite_image", acks_late=True)
def analyze_satellite_image(image_id: str) -> dict[str, Any]:
    return image_analyze(image_id=image_id)


@shared_task(bind=True, base=JobTask, name="pipelines.analyze_image_job")
def analyze_image_job(self: JobTask, *, job_id: str) -> dict[str, Any]:
    """A user's analysis request, as a Job they can watch (``/tasks/{id}/``, ``/api/analysis-jobs/{id}/``)."""
    parameters = Job.objects.filter(pk=job_id).values_list("parameters", flat=True).first() or {}
    self.progress(0, 1, "analysing the corridor")
    outcome = image_analyze(image_id=parameters["image_id"])
    if outcome["status"] == "failed":
        raise RuntimeError(outcome["error"])
    return outcome


@shared_task(name="pipelines.fetch_pipeline_imagery", acks_late=True)
def fetch_pipeline_imagery(pipeline_id: str) -> dict[str, Any]:
    return operations.pipeline_fetch_imagery(pipeline_id=pipeline_id)


@shared_task(name="pipelines.fetch_satellite_imagery_periodic")
def fetch_satellite_imagery_periodic() -> list[str]:
    due = operations.pipelines_due_for_imagery()
    for pipeline_id in due:
        fetch_pipeline_imagery.delay(pipeline_id)
    return due


@shared_task(name="pipelines.analyze_images_periodic")
def analyze_images_periodic() -> list[str]:
    pending = operations.pending_image_ids()
    for image_id in pending:
        analyze_satellite_image.delay(image_id)
    return pending


@shared_task(name="pipelines.detect_anomalies", acks_late=True)
def detect_anomalies(pipeline_id: str) -> dict[str, Any]:
    return operations.pipeline_detect_anomalies(pipeline_id=pipeline_id)


@shared_task(name="pipelines.detect_anomalies_periodic")
def detect_anomalies_periodic() -> list[dict[str, Any]]:
    from custos.modules.pipelines.models import Pipeline

    return [
        operations.pipeline_detect_anomalies(pipeline_id=pk)
        for pk in Pipeline.objects.filter(status="active").values_list("pk", flat=True)
    ]


@shared_task(name="pipelines.cleanup_old_data")
def cleanup_old_data() -> dict[str, int]:
    return operations.cleanup_old_data()


@shared_task(name="pipelines.send_alert_notifications")
def send_alert_notifications() -> int:
    return operations.send_alert_digest()


@shared_task(name="pipelines.send_alert_notification")
def send_alert_notification(alert_id: str) -> int:
    return notify_alerts([alert_id])


@shared_task(name="pipelines.generate_daily_report")
def generate_daily_report() -> list[str]:
    return operations.daily_report()


@shared_task(name="pipelines.update_pipeline_health_scores")
def update_pipeline_health_scores() -> dict[str, str]:
    return operations.pipelines_update_health()


@shared_task(name="pipelines.update_pipeline_health")
def update_pipeline_health(pipeline_id: str) -> dict[str, str]:
    return operations.pipelines_update_health(pipeline_id=pipeline_id)


@shared_task(name="pipelines.process_batch_images", acks_late=True)
def process_batch_images(image_ids: list[str]) -> dict[str, Any]:
    return operations.images_process_batch(image_ids=image_ids)


@shared_task(name="pipelines.export_monitoring_data")
def export_monitoring_data(pipeline_id: str, fmt: str = "geojson") -> str:
    return operations.export_monitoring_data(pipeline_id=pipeline_id, fmt=fmt)
