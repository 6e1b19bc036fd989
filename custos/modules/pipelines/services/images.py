"""Satellite images: an uploaded GeoTIFF (checked, thumbnailed, stored, counted against the storage quota)
or a record of an image held elsewhere; analysis is always a Job, automatic or asked for."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.jobs.models import FINISHED, Job
from custos.jobs.services import job_create
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed
from custos.modules.pipelines import geometry, imagery
from custos.modules.pipelines.choices import ProcessingStatus
from custos.modules.pipelines.models import Pipeline, SatelliteImage
from custos.modules.pipelines.processing import configuration_for
from custos.ops.services import upload_limit_bytes
from custos.orgs.models import Organization
from custos.orgs.services import organization_check_storage, organization_storage_consume

IMAGE_FIELDS = ("image_date", "satellite_name", "sensor", "resolution_m", "source_api")
ANALYSIS_JOB = "pipeline_image_analysis"
ANALYSIS_TASK = "pipelines.analyze_image_job"
SUBJECT = "pipelines.SatelliteImage"


def _bounds_from(data: dict[str, Any]) -> Any | None:
    if data.get("bounds") is not None:
        return geometry.parse_geometry(data["bounds"], field="bounds", kind="Polygon")
    flat = [data.get(f"bounds_{name}") for name in ("lon_min", "lat_min", "lon_max", "lat_max")]
    given = [value for value in flat if value is not None]
    if not given:
        return None
    if len(given) != len(flat):
        raise ValidationFailed(field_errors={"bounds": ["bounds_lat_min/lat_max/lon_min/lon_max go together."]})
    west, south, east, north = given
    if not (west < east and south < north):
        raise ValidationFailed(field_errors={"bounds": ["The minimum must be below the maximum."]})
    return geometry.bbox_polygon(west, south, east, north)


def _checked_raster(pipeline: Pipeline, data: dict[str, Any], upload: Any) -> tuple[bytes, bytes, Any]:
    """The upload's bytes, its thumbnail and what the raster says of itself, every read inside validation."""
    max_bytes = upload_limit_bytes()
    if upload.size > max_bytes:
        raise ValidationFailed(
            field_errors={"image_file": [f"The file is larger than the {max_bytes // 1_048_576} MB limit."]}
        )
    raster = upload.read()
    info = imagery.inspect_upload(raster, given_bands=data.get("bands"), max_bytes=max_bytes)
    imagery.require_corridor(info, pipeline.route, configuration_for(pipeline).buffer_m)
    return raster, info.thumbnail, info


def image_create(ctx: WriteContext, *, pipeline: Pipeline, data: dict[str, Any]) -> SatelliteImage:
    """A satellite image of ``pipeline`` (``data["image_file"]``: the upload, optional). An uploaded raster
    is analysed by a Job queued after commit when the pipeline's configuration asks for it."""
    require_role(ctx, organization_id=pipeline.organization_id)
    upload = data.get("image_file")
    values = {field: data[field] for field in IMAGE_FIELDS if field in data}
    if SatelliteImage.objects.filter(
        pipeline=pipeline, image_date=values["image_date"], satellite_name=values["satellite_name"]
    ).exists():
        raise ValidationFailed(
            field_errors={"non_field_errors": ["This pipeline already has an image of that satellite at that time."]}
        )
    bounds = _bounds_from(data)
    raster = thumbnail = None
    stored_bytes = 0
    if upload is not None:
        raster, thumbnail, info = _checked_raster(pipeline, data, upload)
        bounds = geometry.bbox_polygon(*info.bounds)
        values.setdefault("resolution_m", info.resolution_m)
        stored_bytes = len(raster) + len(thumbnail)
        organization_check_storage(pipeline.organization, stored_bytes)
        values.update(bands=info.bands, crs=info.crs)
    elif "resolution_m" not in values:
        raise ValidationFailed(field_errors={"resolution_m": ["Required when no image file is uploaded."]})
    if bounds is not None:
        values.update(geometry.bbox_of(bounds), bounds=geometry.to_geojson(bounds))
        values["center"] = geometry.to_geojson(bounds.centroid)
    with transaction.atomic():
        image = SatelliteImage(organization_id=pipeline.organization_id, pipeline=pipeline, **values)
        if raster is not None:
            image.metadata = {"width": info.width, "height": info.height, "stored_bytes": stored_bytes}
            image.image_file.save(f"{image.pk}.tif", ContentFile(raster), save=False)
            image.thumbnail.save(f"{image.pk}.png", ContentFile(thumbnail), save=False)
            organization_storage_consume(organization=pipeline.organization, delta_bytes=stored_bytes)
        image = audited_create(ctx, image, audit_values=values)
        configuration = configuration_for(pipeline)
        if raster is not None and configuration.analysis_enabled and configuration.auto_analysis:
            _analysis_job(ctx, image, automatic=True)
    return image


def _analysis_job(ctx: WriteContext, image: SatelliteImage, *, automatic: bool) -> Job:
    return job_create(
        ctx.within(image.organization_id),
        organization_id=image.organization_id,
        job_type=ANALYSIS_JOB,
        task_name=ANALYSIS_TASK,
        parameters={"image_id": str(image.pk), "automatic": automatic},
        subject_type=SUBJECT,
        subject_id=image.pk,
    )


def image_live_analysis(image: SatelliteImage) -> Job | None:
    """The analysis Job of ``image`` that has not finished yet, if any."""
    return (
        Job.objects.filter(subject_type=SUBJECT, subject_id=str(image.pk))
        .exclude(status__in=list(FINISHED))
        .order_by("-created_at")
        .first()
    )


def image_request_analysis(ctx: WriteContext, image: SatelliteImage) -> tuple[Job, bool]:
    """A user asks for (re-)analysis: ``(job, queued_now)``. While an analysis of the image is still
    pending or running, that Job is the answer (nothing new is queued); otherwise the image goes back to
    pending and a new Job is queued after commit."""
    require_role(ctx, organization_id=image.organization_id)
    if not image.image_file:
        raise ValidationFailed(field_errors={"image_file": ["This image has no raster file to analyse."]})
    with transaction.atomic():
        SatelliteImage.objects.select_for_update().filter(pk=image.pk).first()
        running = image_live_analysis(image)
        if running is not None:
            return running, False
        audited_update(
            ctx, image, values={"processing_status": ProcessingStatus.PENDING, "processing_error": ""}, action="ANALYZE"
        )
        return _analysis_job(ctx, image, automatic=False), True


def image_update(ctx: WriteContext, image: SatelliteImage, *, data: dict[str, Any]) -> SatelliteImage:
    """Metadata only: the raster of an image is never replaced (upload a new image instead)."""
    if "image_file" in data:
        raise ValidationFailed(field_errors={"image_file": ["The raster cannot be replaced; upload a new image."]})
    return audited_update(ctx, image, values={field: data[field] for field in IMAGE_FIELDS if field in data})


def image_delete(ctx: WriteContext, image: SatelliteImage) -> None:
    """The row, then (after commit) its files; the organization's storage count goes down with them."""
    files = [(f.storage, f.name) for f in (image.image_file, image.thumbnail) if f.name]
    with transaction.atomic():
        audited_delete(ctx, image)
        release_image_storage(organization_id=image.organization_id, images=[image])
    for storage, name in files:
        transaction.on_commit(partial(storage.delete, name))


def release_image_storage(*, organization_id: Any, images: list[Any]) -> None:
    freed = sum(int(image.metadata.get("stored_bytes", 0)) for image in images)
    if freed:
        organization = Organization.objects.get(pk=organization_id)
        organization_storage_consume(organization=organization, delta_bytes=-freed)
