"""Analysis results: recorded by the engine or by a person, reviewed (verified / false positive), and
turned into alerts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.alerts.models import Alert
from custos.alerts.services import alert_raise, alert_resolve
from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed
from custos.modules.pipelines import geometry
from custos.modules.pipelines.choices import ALERT_FOR_ANALYSIS, ResultStatus
from custos.modules.pipelines.models import AnalysisResult, SatelliteImage
from custos.modules.pipelines.processing import configuration_for, notify_alerts

RESULT_FIELDS = ("analysis_type", "confidence_score", "severity", "description", "raw_data")
CLOSED = (ResultStatus.FALSE_POSITIVE, ResultStatus.RESOLVED, ResultStatus.DISMISSED)


def _result_geometry(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.get("detected_location") is not None:
        values["detected_location"] = geometry.to_geojson(
            geometry.parse_geometry(data["detected_location"], field="detected_location", kind="Point")
        )
    elif data.get("detected_lat") is not None or data.get("detected_lon") is not None:
        if data.get("detected_lat") is None or data.get("detected_lon") is None:
            raise ValidationFailed(field_errors={"detected_location": ["detected_lat and detected_lon go together."]})
        values["detected_location"] = geometry.to_geojson(
            geometry.point(data["detected_lon"], data["detected_lat"], field="detected_location")
        )
    if data.get("affected_area") is not None:
        values["affected_area"] = geometry.to_geojson(
            geometry.parse_geometry(data["affected_area"], field="affected_area", kind="Polygon")
        )
    return values


def result_create(ctx: WriteContext, *, satellite_image: SatelliteImage, data: dict[str, Any]) -> AnalysisResult:
    """A result recorded by a person (e.g. from a field inspection) rather than by the engine."""
    values = {field: data[field] for field in RESULT_FIELDS if field in data}
    values.update(_result_geometry(data))
    values["raw_data"] = {**values.get("raw_data", {}), "source": "manual"}
    audit_values = {key: value for key, value in values.items() if key != "raw_data"}
    return audited_create(
        ctx,
        AnalysisResult,
        values={"organization_id": satellite_image.organization_id, "satellite_image": satellite_image, **values},
        audit_values=audit_values,
    )


def result_update(ctx: WriteContext, result: AnalysisResult, *, data: dict[str, Any]) -> AnalysisResult:
    values = {field: data[field] for field in (*RESULT_FIELDS, "verification_notes") if field in data}
    values.update(_result_geometry(data))
    return audited_update(ctx, result, values=values)


def result_delete(ctx: WriteContext, result: AnalysisResult) -> None:
    audited_delete(ctx, result)


def _review(ctx: WriteContext, result: AnalysisResult, *, status: str, notes: str, action: str) -> AnalysisResult:
    values = {
        "status": status,
        "verified_by": ctx.user,
        "verified_at": timezone.now(),
        "verification_notes": notes,
    }
    return audited_update(ctx, result, values=values, action=action)


def result_verify(ctx: WriteContext, result: AnalysisResult, *, notes: str = "") -> AnalysisResult:
    """A confirmed finding is ``verified``, also when it already raised an alert (the link stays)."""
    if result.status in CLOSED:
        raise Conflict(f"A result that is {result.status} cannot be verified.")
    return _review(ctx, result, status=ResultStatus.VERIFIED, notes=notes, action="VERIFY")


def result_mark_false_positive(ctx: WriteContext, result: AnalysisResult, *, notes: str = "") -> AnalysisResult:
    """A false positive: its alert, if still open, is resolved with the same notes."""
    if result.status == ResultStatus.FALSE_POSITIVE:
        raise Conflict("The result is already marked as a false positive.")
    with transaction.atomic():
        reviewed = _review(ctx, result, status=ResultStatus.FALSE_POSITIVE, notes=notes, action="MARK_FALSE_POSITIVE")
        if result.alert is not None and not result.alert.is_resolved:
            alert_resolve(ctx, result.alert, notes=f"False positive: {notes}".strip())
    return reviewed


def link_alert(ctx: WriteContext, result: AnalysisResult, alert: Alert) -> None:
    """The result raised ``alert``: linked, and its status says so."""
    audited_update(ctx, result, values={"alert": alert, "status": ResultStatus.ALERT_CREATED}, event=False)


def result_create_alert(ctx: WriteContext, result: AnalysisResult, *, recipients: list[str] | None = None) -> Alert:
    require_role(ctx, organization_id=result.organization_id)
    if result.alert_id is not None:
        raise Conflict("An alert already exists for this result.")
    if result.status == ResultStatus.FALSE_POSITIVE:
        raise Conflict("A false positive does not raise an alert.")
    image = result.satellite_image
    configuration = configuration_for(image.pipeline)
    with transaction.atomic():
        alert = alert_raise(
            ctx.within(result.organization_id),
            organization_id=result.organization_id,
            source="pipeline",
            alert_type=ALERT_FOR_ANALYSIS[result.analysis_type],
            severity=result.severity,
            title=f"{result.get_analysis_type_display()} on {image.pipeline.name}",
            message=result.description or f"{result.get_analysis_type_display()} reported on {image}.",
            subject_type="pipelines.AnalysisResult",
            subject_id=result.pk,
            data={"pipeline_id": str(image.pipeline_id), "analysis_result_id": str(result.pk)},
            recipients=recipients if recipients is not None else list(configuration.notification_emails),
        )
        link_alert(ctx, result, alert)
        if configuration.email_notifications:
            transaction.on_commit(lambda: notify_alerts([alert.pk]))
    return alert
