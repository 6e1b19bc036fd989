"""The pipeline document's monitoring alerts: the shared alert table (``custos.alerts``), source ``pipeline``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from custos.alerts.models import Alert
from custos.alerts.services import alert_raise, alert_resolve
from custos.audit.writes import audited_delete, audited_update, require_role
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, ValidationFailed, does_not_exist
from custos.modules.pipelines.choices import ResultStatus
from custos.modules.pipelines.models import AnalysisResult, Pipeline
from custos.modules.pipelines.services.results import link_alert

# The body's names -> the shared table's columns.
ALERT_FIELDS = {"alert_type": "alert_type", "priority": "severity", "message": "message", "recipients": "recipients"}


def _source_of(ctx: WriteContext, data: dict[str, Any]) -> tuple[AnalysisResult | None, Pipeline]:
    """What the alert is about: a result, or a pipeline, of the caller's organization. One is required."""
    organization_id = ctx.organization_id
    result: AnalysisResult | None = None
    if data.get("analysis_result"):
        result = AnalysisResult.objects.filter(organization_id=organization_id, pk=data["analysis_result"]).first()
        if result is None:
            raise does_not_exist("analysis_result", data["analysis_result"])
        if result.alert_id is not None:
            raise Conflict("An alert already exists for this result.")
        pipeline = result.satellite_image.pipeline
    elif data.get("pipeline"):
        found = Pipeline.objects.filter(organization_id=organization_id, pk=data["pipeline"]).first()
        if found is None:
            raise ValidationFailed(
                field_errors={"pipeline": [f'Invalid pk "{data["pipeline"]}" - object does not exist.']}
            )
        pipeline = found
    else:
        raise ValidationFailed(
            field_errors={"non_field_errors": ["Name the alert's source: an analysis_result or a pipeline."]}
        )
    return result, pipeline


def pipeline_alert_create(ctx: WriteContext, *, data: dict[str, Any]) -> Alert:
    """A monitoring alert raised by a person, about a result or a pipeline of the same organization."""
    require_role(ctx, organization_id=ctx.organization_id)
    result, pipeline = _source_of(ctx, data)
    with transaction.atomic():
        alert = alert_raise(
            ctx,
            organization_id=ctx.organization_id,
            source="pipeline",
            alert_type=data["alert_type"],
            severity=data["priority"],
            message=data["message"],
            subject_type="pipelines.AnalysisResult" if result else "pipelines.Pipeline",
            subject_id=result.pk if result else pipeline.pk,
            data={
                "analysis_result_id": str(result.pk) if result else None,
                "pipeline_id": str(pipeline.pk) if pipeline else None,
            },
            recipients=data.get("recipients", []),
        )
        if result is not None:
            link_alert(ctx, result, alert)
        if data.get("is_resolved"):
            alert_resolve(ctx, alert)
    return alert


def pipeline_alert_update(ctx: WriteContext, alert: Alert, *, data: dict[str, Any]) -> Alert:
    values = {column: data[name] for name, column in ALERT_FIELDS.items() if name in data}
    with transaction.atomic():
        audited_update(ctx, alert, values=values)
        if data.get("is_resolved") and not alert.is_resolved:
            alert_resolve(ctx, alert)
    return alert


def pipeline_alert_resolve(ctx: WriteContext, alert: Alert, *, notes: str = "") -> Alert:
    """Resolving an alert also closes the result that raised it."""
    require_role(ctx, organization_id=alert.organization_id)
    with transaction.atomic():
        alert_resolve(ctx, alert, notes=notes)
        AnalysisResult.objects.filter(alert=alert, status=ResultStatus.ALERT_CREATED).update(
            status=ResultStatus.RESOLVED, updated_at=timezone.now()
        )
    return alert


def pipeline_alert_delete(ctx: WriteContext, alert: Alert) -> None:
    audited_delete(ctx, alert)
