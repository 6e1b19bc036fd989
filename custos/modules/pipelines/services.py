"""Writes of the pipeline domain. Each takes the acting user, audits in the same transaction, and raises
``custos.kernel.errors`` for the caller to render."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from shapely.geometry import LineString

from custos.alerts.services import alert_raise, alert_resolve
from custos.audit.services import audit_changes, audit_record, audit_update
from custos.jobs.services import job_create
from custos.kernel.errors import Conflict, PermissionDenied, ValidationFailed
from custos.modules.pipelines import geometry, imagery
from custos.modules.pipelines.choices import ALERT_FOR_ANALYSIS, ProcessingStatus, ResultStatus
from custos.modules.pipelines.models import (
    AnalysisResult,
    MonitoringConfiguration,
    Pipeline,
    PipelineSegment,
    SatelliteImage,
)
from custos.modules.pipelines.processing import configuration_for, notify_alerts
from custos.ops.services import upload_limit_bytes
from custos.orgs.choices import WRITE_ROLES
from custos.orgs.models import Organization
from custos.orgs.selectors import role_of
from custos.orgs.services import organization_check_storage, organization_storage_consume

PIPELINE_FIELDS = ("name", "description", "length_km", "diameter_mm", "material", "status")


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)


def _require_write_role(*, actor: Any, organization_id: Any) -> None:
    """``actor=None`` is the platform itself (a scheduled task), never a request: views always pass the user."""
    if actor is None:
        return
    if role_of(user=actor, organization=organization_id) not in WRITE_ROLES:
        raise PermissionDenied("Your role in this organization does not allow changes.")


def _route_from(data: dict[str, Any], current: Pipeline | None) -> LineString | None:
    """The route from ``route`` (GeoJSON), ``start_point``/``end_point`` (GeoJSON) or the flat
    ``start_lat/start_lon/end_lat/end_lon`` fields; ``None`` when the data names no new route."""
    if data.get("route") is not None:
        return geometry.parse_geometry(data["route"], field="route", kind="LineString")
    start = end = None
    if data.get("start_point") is not None:
        start = geometry.parse_geometry(data["start_point"], field="start_point", kind="Point")
    if data.get("end_point") is not None:
        end = geometry.parse_geometry(data["end_point"], field="end_point", kind="Point")
    flat = [data.get(name) for name in ("start_lat", "start_lon", "end_lat", "end_lon")]
    if any(value is not None for value in flat):
        if any(value is None for value in flat):
            raise ValidationFailed(
                field_errors={"non_field_errors": ["start_lat, start_lon, end_lat and end_lon go together."]}
            )
        start = geometry.point(flat[1], flat[0], field="start_lat")
        end = geometry.point(flat[3], flat[2], field="end_lat")
    if start is None and end is None:
        return None
    if current is not None:
        coords = list(LineString(current.route["coordinates"]).coords)
        start = start or geometry.point(*coords[0], field="start_point")
        end = end or geometry.point(*coords[-1], field="end_point")
    if start is None or end is None:
        raise ValidationFailed(field_errors={"route": ["Give the route, or both a start and an end point."]})
    if start.equals(end):
        raise ValidationFailed(field_errors={"route": ["The start and end points are the same."]})
    return LineString([start.coords[0], end.coords[0]])


def _checked_length(route: LineString, given: float | None) -> float:
    measured = round(geometry.geodesic_length_km(route), 3)
    if given is None:
        if measured < 0.1:
            raise ValidationFailed(field_errors={"length_km": [f"The route measures {measured} km; at least 0.1."]})
        return measured
    if abs(given - measured) > geometry.LENGTH_TOLERANCE * measured:
        raise ValidationFailed(
            field_errors={"length_km": [f"{given} km does not match the route, which measures {measured} km."]}
        )
    return given


def _unique_name(*, organization_id: Any, name: str, exclude: Any = None) -> None:
    clash = Pipeline.objects.filter(organization_id=organization_id, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"name": ["A pipeline with this name already exists."]})


def pipeline_create(*, actor: Any, organization_id: Any, data: dict[str, Any], request: Any = None) -> Pipeline:
    _require_write_role(actor=actor, organization_id=organization_id)
    route = _route_from(data, None)
    if route is None:
        raise ValidationFailed(field_errors={"route": ["A route (GeoJSON LineString) or start and end points."]})
    _unique_name(organization_id=organization_id, name=data["name"])
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    values["length_km"] = _checked_length(route, data.get("length_km"))
    with transaction.atomic():
        pipeline = Pipeline.objects.create(
            organization_id=organization_id,
            route=geometry.to_geojson(route),
            created_by=actor,
            **geometry.bbox_of(route),
            **values,
        )
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="Pipeline",
            resource_id=pipeline.pk,
            resource_name=pipeline.name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=organization_id,
            request=request,
        )
    return pipeline


def pipeline_update(*, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None) -> Pipeline:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    values = {field: data[field] for field in PIPELINE_FIELDS if field in data}
    if "name" in values:
        _unique_name(organization_id=pipeline.organization_id, name=values["name"], exclude=pipeline.pk)
    route = _route_from(data, pipeline)
    if route is not None:
        values["route"] = geometry.to_geojson(route)
        values.update(geometry.bbox_of(route))
        values["length_km"] = _checked_length(route, data.get("length_km"))
    elif "length_km" in values:
        values["length_km"] = _checked_length(LineString(pipeline.route["coordinates"]), values["length_km"])
    return audit_update(pipeline, actor=actor, values=values, resource_type="Pipeline", request=request)


def _delete(*, actor: Any, instance: Any, resource_type: str, name: str, request: Any) -> None:
    _require_write_role(actor=actor, organization_id=instance.organization_id)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="DELETE",
            resource_type=resource_type,
            resource_id=instance.pk,
            resource_name=name,
            organization_id=instance.organization_id,
            request=request,
        )
        instance.delete()


def pipeline_delete(*, actor: Any, pipeline: Pipeline, request: Any = None) -> None:
    _delete(actor=actor, instance=pipeline, resource_type="Pipeline", name=pipeline.name, request=request)


SEGMENT_FIELDS = (
    "segment_name",
    "segment_number",
    "length_km",
    "monitoring_frequency_hours",
    "last_monitored",
    "risk_level",
    "terrain_type",
)


def _segment_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {field: data[field] for field in SEGMENT_FIELDS if field in data}
    if data.get("geometry") is not None:
        line = geometry.parse_geometry(data["geometry"], field="geometry", kind="LineString")
        values["geometry"] = geometry.to_geojson(line)
    elif "geometry" in data:
        values["geometry"] = None
    return values


def _unique_segment_number(*, pipeline: Pipeline, number: int, exclude: Any = None) -> None:
    clash = PipelineSegment.objects.filter(pipeline=pipeline, segment_number=number)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationFailed(field_errors={"segment_number": ["This pipeline already has a segment with it."]})


def segment_create(*, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None) -> PipelineSegment:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    values = _segment_values(data)
    _unique_segment_number(pipeline=pipeline, number=values["segment_number"])
    with transaction.atomic():
        segment = PipelineSegment.objects.create(organization_id=pipeline.organization_id, pipeline=pipeline, **values)
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="PipelineSegment",
            resource_id=segment.pk,
            resource_name=segment.segment_name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=pipeline.organization_id,
            request=request,
        )
    return segment


def segment_update(
    *, actor: Any, segment: PipelineSegment, data: dict[str, Any], request: Any = None
) -> PipelineSegment:
    _require_write_role(actor=actor, organization_id=segment.organization_id)
    values = _segment_values(data)
    if "segment_number" in values:
        _unique_segment_number(pipeline=segment.pipeline, number=values["segment_number"], exclude=segment.pk)
    return audit_update(segment, actor=actor, values=values, resource_type="PipelineSegment", request=request)


def segment_mark_monitored(*, actor: Any, segment: PipelineSegment, request: Any = None) -> PipelineSegment:
    return segment_update(actor=actor, segment=segment, data={"last_monitored": timezone.now()}, request=request)


def segment_delete(*, actor: Any, segment: PipelineSegment, request: Any = None) -> None:
    _delete(actor=actor, instance=segment, resource_type="PipelineSegment", name=segment.segment_name, request=request)


CONFIGURATION_FIELDS = (
    "analysis_enabled",
    "auto_analysis",
    "confidence_threshold",
    "alerts_enabled",
    "email_notifications",
    "notification_emails",
    "monitoring_frequency_hours",
    "analysis_frequency_hours",
    "buffer_m",
)


def _configuration_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {field: data[field] for field in CONFIGURATION_FIELDS if field in data}
    if "facility_points" in data:
        points = []
        for index, pair in enumerate(data["facility_points"] or []):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValidationFailed(field_errors={"facility_points": [f"Item {index}: expected [lon, lat]."]})
            point = geometry.point(pair[0], pair[1], field="facility_points")
            points.append([point.x, point.y])
        values["facility_points"] = points
    return values


def configuration_create(
    *, actor: Any, pipeline: Pipeline, data: dict[str, Any], request: Any = None
) -> MonitoringConfiguration:
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    if MonitoringConfiguration.objects.filter(pipeline=pipeline).exists():
        raise ValidationFailed(field_errors={"pipeline": ["This pipeline already has a configuration."]})
    values = _configuration_values(data)
    with transaction.atomic():
        configuration = MonitoringConfiguration.objects.create(
            organization_id=pipeline.organization_id, pipeline=pipeline, **values
        )
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="MonitoringConfiguration",
            resource_id=configuration.pk,
            resource_name=pipeline.name,
            changes={key: _plain(value) for key, value in values.items()},
            organization_id=pipeline.organization_id,
            request=request,
        )
    return configuration


def configuration_update(
    *, actor: Any, configuration: MonitoringConfiguration, data: dict[str, Any], request: Any = None
) -> MonitoringConfiguration:
    _require_write_role(actor=actor, organization_id=configuration.organization_id)
    values = _configuration_values(data)
    return audit_update(
        configuration, actor=actor, values=values, resource_type="MonitoringConfiguration", request=request
    )


def configuration_delete(*, actor: Any, configuration: MonitoringConfiguration, request: Any = None) -> None:
    _delete(
        actor=actor,
        instance=configuration,
        resource_type="MonitoringConfiguration",
        name=configuration.pipeline.name,
        request=request,
    )


# --- satellite images ---------------------------------------------------------------------------

IMAGE_FIELDS = ("image_date", "satellite_name", "sensor", "resolution_m", "source_api")


def _bounds_from(data: dict[str, Any]) -> Any | None:
    if data.get("bounds") is not None:
        return geometry.parse_geometry(data["bounds"], field="bounds", kind="Polygon")
    flat = [data.get(f"bounds_{name}") for name in ("lon_min", "lat_min", "lon_max", "lat_max")]
    if all(value is None for value in flat):
        return None
    if any(value is None for value in flat):
        raise ValidationFailed(field_errors={"bounds": ["bounds_lat_min/lat_max/lon_min/lon_max go together."]})
    west, south, east, north = flat
    if not (west < east and south < north):
        raise ValidationFailed(field_errors={"bounds": ["The minimum must be below the maximum."]})
    return geometry.bbox_polygon(west, south, east, north)


def image_create(
    *,
    actor: Any,
    pipeline: Any,
    data: dict[str, Any],
    upload: Any = None,
    request: Any = None,
) -> Any:
    """A satellite image of ``pipeline``: an uploaded GeoTIFF (checked, thumbnailed, stored) or, without a
    file, a record of an image held elsewhere. Queues analysis after commit when the pipeline's
    configuration asks for automatic analysis."""
    _require_write_role(actor=actor, organization_id=pipeline.organization_id)
    values = {field: data[field] for field in IMAGE_FIELDS if field in data}
    if SatelliteImage.objects.filter(
        pipeline=pipeline, image_date=values["image_date"], satellite_name=values["satellite_name"]
    ).exists():
        raise ValidationFailed(
            field_errors={"non_field_errors": ["This pipeline already has an image of that satellite at that time."]}
        )
    bounds = _bounds_from(data)
    raster = thumbnail = None
    if upload is not None:
        max_bytes = upload_limit_bytes()
        if upload.size > max_bytes:
            raise ValidationFailed(
                field_errors={"image_file": [f"The file is larger than the {max_bytes // 1_048_576} MB limit."]}
            )
        raster = upload.read()
        info = imagery.inspect_upload(raster, given_bands=data.get("bands"), max_bytes=max_bytes)
        thumbnail = imagery.thumbnail_png(raster, info.bands)
        bounds = geometry.bbox_polygon(*info.bounds)
        values.setdefault("resolution_m", info.resolution_m)
        stored_bytes = len(raster) + len(thumbnail)
        organization_check_storage(pipeline.organization, stored_bytes)
        values.update(
            bands=info.bands,
            crs=info.crs,
            metadata={"width": info.width, "height": info.height, "stored_bytes": stored_bytes},
        )
    elif "resolution_m" not in values:
        raise ValidationFailed(field_errors={"resolution_m": ["Required when no image file is uploaded."]})
    if bounds is not None:
        values.update(geometry.bbox_of(bounds), bounds=geometry.to_geojson(bounds))
        values["center"] = geometry.to_geojson(bounds.centroid)
    with transaction.atomic():
        image = SatelliteImage(organization_id=pipeline.organization_id, pipeline=pipeline, **values)
        if raster is not None:
            image.image_file.save(f"{image.pk}.tif", ContentFile(raster), save=False)
            image.thumbnail.save(f"{image.pk}.png", ContentFile(thumbnail), save=False)
            organization_storage_consume(organization=pipeline.organization, delta_bytes=stored_bytes)
        image.save()
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="SatelliteImage",
            resource_id=image.pk,
            resource_name=str(image),
            changes={key: _plain(value) for key, value in values.items() if key != "metadata"},
            organization_id=pipeline.organization_id,
            request=request,
        )
        configuration = configuration_for(pipeline)
        if raster is not None and configuration.analysis_enabled and configuration.auto_analysis:
            transaction.on_commit(lambda: image_queue_analysis(image=image))
    return image


def image_queue_analysis(*, image: Any, task_id: str | None = None) -> str:
    from custos.modules.pipelines.tasks import analyze_satellite_image  # tasks import this module

    return analyze_satellite_image.apply_async(args=[str(image.pk)], task_id=task_id).id


def image_request_analysis(*, actor: Any, image: Any, request: Any = None) -> str:
    """A user asks for (re-)analysis: the image goes back to pending and a Job is queued after commit;
    its id is returned (the job is visible to its owner and the organization's admins)."""
    from custos.modules.pipelines import tasks  # noqa: F401 - registers the job's task (tasks import us)

    _require_write_role(actor=actor, organization_id=image.organization_id)
    if not image.image_file:
        raise ValidationFailed(field_errors={"image_file": ["This image has no raster file to analyse."]})
    if image.processing_status == ProcessingStatus.PROCESSING:
        raise ValidationFailed(field_errors={"processing_status": ["The image is being analysed now."]})
    with transaction.atomic():
        image.processing_status = ProcessingStatus.PENDING
        image.save(update_fields=["processing_status", "updated_at"])
        job = job_create(
            actor=actor,
            organization_id=image.organization_id,
            job_type="pipeline_image_analysis",
            task_name="pipelines.analyze_image_job",
            parameters={"image_id": str(image.pk)},
            subject_type="pipelines.SatelliteImage",
            subject_id=image.pk,
            request=request,
        )
    return str(job.task_id)


def image_update(*, actor: Any, image: SatelliteImage, data: dict[str, Any], request: Any = None) -> SatelliteImage:
    """Metadata only: the raster of an image is never replaced (upload a new image instead)."""
    _require_write_role(actor=actor, organization_id=image.organization_id)
    values = {field: data[field] for field in IMAGE_FIELDS if field in data}
    return audit_update(image, actor=actor, values=values, resource_type="SatelliteImage", request=request)


def image_delete(*, actor: Any, image: SatelliteImage, request: Any = None) -> None:
    """The row, then (after commit) its files; the organization's storage count goes down with them."""
    files = [f for f in (image.image_file, image.thumbnail) if f]
    with transaction.atomic():
        _delete(actor=actor, instance=image, resource_type="SatelliteImage", name=str(image), request=request)
        release_image_storage(organization_id=image.organization_id, images=[image])
    for stored in files:
        transaction.on_commit(lambda stored=stored: stored.storage.delete(stored.name))


def release_image_storage(*, organization_id: Any, images: list[Any]) -> None:
    freed = sum(int(image.metadata.get("stored_bytes", 0)) for image in images)
    if freed:
        organization = Organization.objects.get(pk=organization_id)
        organization_storage_consume(organization=organization, delta_bytes=-freed)


# --- analysis results ---------------------------------------------------------------------------

RESULT_FIELDS = ("analysis_type", "confidence_score", "severity", "description", "raw_data")


def _result_geometry(data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.get("detected_location") is not None:
        values["detected_location"] = geometry.to_geojson(
            geometry.parse_geometry(data["detected_location"], field="detected_location", kind="Point")
        )
    if data.get("affected_area") is not None:
        values["affected_area"] = geometry.to_geojson(
            geometry.parse_geometry(data["affected_area"], field="affected_area", kind="Polygon")
        )
    return values


def result_create(*, actor: Any, image: SatelliteImage, data: dict[str, Any], request: Any = None) -> AnalysisResult:
    """A result recorded by a person (e.g. from a field inspection) rather than by the engine."""
    _require_write_role(actor=actor, organization_id=image.organization_id)
    values = {field: data[field] for field in RESULT_FIELDS if field in data}
    values.update(_result_geometry(data))
    values["raw_data"] = {**values.get("raw_data", {}), "source": "manual"}
    with transaction.atomic():
        result = AnalysisResult.objects.create(organization_id=image.organization_id, satellite_image=image, **values)
        audit_record(
            actor=actor,
            action="CREATE",
            resource_type="AnalysisResult",
            resource_id=result.pk,
            resource_name=result.analysis_type,
            changes={key: _plain(value) for key, value in values.items() if key != "raw_data"},
            organization_id=image.organization_id,
            request=request,
        )
    return result


def result_update(*, actor: Any, result: AnalysisResult, data: dict[str, Any], request: Any = None) -> AnalysisResult:
    _require_write_role(actor=actor, organization_id=result.organization_id)
    values = {field: data[field] for field in (*RESULT_FIELDS, "verification_notes") if field in data}
    values.update(_result_geometry(data))
    return audit_update(result, actor=actor, values=values, resource_type="AnalysisResult", request=request)


def result_delete(*, actor: Any, result: AnalysisResult, request: Any = None) -> None:
    _delete(actor=actor, instance=result, resource_type="AnalysisResult", name=result.analysis_type, request=request)


def _review(
    *, actor: Any, result: AnalysisResult, status: str, notes: str, action: str, request: Any
) -> AnalysisResult:
    _require_write_role(actor=actor, organization_id=result.organization_id)
    previous = result.status
    with transaction.atomic():
        result.status = status
        result.verified_by = actor
        result.verified_at = timezone.now()
        result.verification_notes = notes
        result.save(update_fields=["status", "verified_by", "verified_at", "verification_notes", "updated_at"])
        audit_record(
            actor=actor,
            action=action,
            resource_type="AnalysisResult",
            resource_id=result.pk,
            resource_name=result.analysis_type,
            changes={**audit_changes({"status": previous}, {"status": status}), "notes": notes},
            organization_id=result.organization_id,
            request=request,
        )
    return result


def result_verify(*, actor: Any, result: AnalysisResult, notes: str = "", request: Any = None) -> AnalysisResult:
    if result.status in (ResultStatus.FALSE_POSITIVE, ResultStatus.RESOLVED, ResultStatus.DISMISSED):
        raise Conflict(f"A result that is {result.status} cannot be verified.")
    status = ResultStatus.ALERT_CREATED if result.alert_id else ResultStatus.VERIFIED
    return _review(actor=actor, result=result, status=status, notes=notes, action="VERIFY", request=request)


def result_mark_false_positive(
    *, actor: Any, result: AnalysisResult, notes: str = "", request: Any = None
) -> AnalysisResult:
    """A false positive: its alert, if still open, is resolved with the same notes."""
    if result.status == ResultStatus.FALSE_POSITIVE:
        raise Conflict("The result is already marked as a false positive.")
    with transaction.atomic():
        reviewed = _review(
            actor=actor,
            result=result,
            status=ResultStatus.FALSE_POSITIVE,
            notes=notes,
            action="MARK_FALSE_POSITIVE",
            request=request,
        )
        if result.alert is not None and not result.alert.is_resolved:
            alert_resolve(alert=result.alert, actor=actor, notes=f"False positive: {notes}".strip(), request=request)
    return reviewed


def result_create_alert(
    *, actor: Any, result: AnalysisResult, recipients: list[str] | None = None, request: Any = None
) -> Any:
    _require_write_role(actor=actor, organization_id=result.organization_id)
    if result.alert_id is not None:
        raise Conflict("An alert already exists for this result.")
    if result.status == ResultStatus.FALSE_POSITIVE:
        raise Conflict("A false positive does not raise an alert.")
    image = result.satellite_image
    configuration = configuration_for(image.pipeline)
    with transaction.atomic():
        alert = alert_raise(
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
            actor=actor,
            request=request,
        )
        result.alert = alert
        result.status = ResultStatus.ALERT_CREATED
        result.save(update_fields=["alert", "status", "updated_at"])
        if configuration.email_notifications:
            transaction.on_commit(lambda: notify_alerts([alert.pk]))
    return alert


# --- pipeline alerts (the shared alert table, source "pipeline") ---------------------------------


def pipeline_alert_create(*, actor: Any, organization_id: Any, data: dict[str, Any], request: Any = None) -> Any:
    """A monitoring alert raised by a person; linked to a result of the same organization when one is named."""
    _require_write_role(actor=actor, organization_id=organization_id)
    result = None
    if data.get("analysis_result"):
        result = AnalysisResult.objects.filter(organization_id=organization_id, pk=data["analysis_result"]).first()
        if result is None:
            raise ValidationFailed(
                field_errors={"analysis_result": [f'Invalid pk "{data["analysis_result"]}" - object does not exist.']}
            )
        if result.alert_id is not None:
            raise Conflict("An alert already exists for this result.")
    with transaction.atomic():
        alert = alert_raise(
            organization_id=organization_id,
            source="pipeline",
            alert_type=data["alert_type"],
            severity=data["priority"],
            message=data["message"],
            subject_type="pipelines.AnalysisResult" if result else "",
            subject_id=result.pk if result else "",
            data={
                "analysis_result_id": str(result.pk) if result else None,
                "pipeline_id": str(result.satellite_image.pipeline_id) if result else None,
            },
            recipients=data.get("recipients", []),
            actor=actor,
            request=request,
        )
        if result is not None:
            result.alert = alert
            result.status = ResultStatus.ALERT_CREATED
            result.save(update_fields=["alert", "status", "updated_at"])
        if data.get("is_resolved"):
            alert_resolve(alert=alert, actor=actor, request=request)
    return alert


def pipeline_alert_update(*, actor: Any, alert: Any, data: dict[str, Any], request: Any = None) -> Any:
    _require_write_role(actor=actor, organization_id=alert.organization_id)
    values = {}
    for source, target in (
        ("alert_type", "alert_type"),
        ("priority", "severity"),
        ("message", "message"),
        ("recipients", "recipients"),
    ):
        if source in data:
            values[target] = data[source]
    with transaction.atomic():
        audit_update(alert, actor=actor, values=values, resource_type="Alert", request=request)
        if data.get("is_resolved") and not alert.is_resolved:
            alert_resolve(alert=alert, actor=actor, request=request)
    return alert


def pipeline_alert_resolve(*, actor: Any, alert: Any, notes: str = "", request: Any = None) -> Any:
    """Resolving an alert also closes the result that raised it."""
    _require_write_role(actor=actor, organization_id=alert.organization_id)
    with transaction.atomic():
        alert_resolve(alert=alert, actor=actor, notes=notes, request=request)
        AnalysisResult.objects.filter(alert=alert, status=ResultStatus.ALERT_CREATED).update(
            status=ResultStatus.RESOLVED, updated_at=timezone.now()
        )
    return alert


def pipeline_alert_delete(*, actor: Any, alert: Any, request: Any = None) -> None:
    _delete(actor=actor, instance=alert, resource_type="Alert", name=alert.alert_type, request=request)
