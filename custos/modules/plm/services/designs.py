"""Design versions: upload (direct multipart, or a signed URL then ``finalize``: ours on local
storage, an S3 presigned POST when the files live in S3), metadata changes, download and deletion.
Every stored file is checked first: size (the settings' limit), extension and content
(``cad.formats``), and counted against the organization's storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core import signing
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from custos.audit.services import audit_record
from custos.audit.writes import audited_create, audited_delete, audited_update, require_role
from custos.jobs.models import Job
from custos.jobs.services import job_create
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from custos.modules.plm import access
from custos.modules.plm.cad import formats
from custos.modules.plm.cad.materials import density_of, mass_kg
from custos.modules.plm.choices import DesignStatus
from custos.modules.plm.models import DesignAsset, DesignSeries
from custos.ops.services import FileTooLarge, check_upload_size
from custos.orgs.models import Organization
from custos.orgs.services import organization_check_storage, organization_storage_consume

PROCESSING_JOB = "PROCESSING"
PROCESSING_TASK = "plm.process_design"
SUBJECT = "plm.DesignAsset"
UPLOAD_URL_SECONDS = 3600
UPLOAD_SALT = "custos.plm.upload"
CHUNK = 1024 * 1024
META_FIELDS = ("revision", "classification", "itar_controlled", "material", "units")
PATCH_STATUSES = (DesignStatus.ARCHIVED,)


# --- helpers ----------------------------------------------------------------------------------


def _next_version(series: DesignSeries) -> int:
    """The next version number of ``series`` (call inside a transaction: the series row is locked)."""
    DesignSeries.objects.select_for_update().filter(pk=series.pk).first()
    latest = DesignAsset.objects.filter(series=series).aggregate(top=Max("version_number"))["top"]
    return (latest or 0) + 1


def _export_values(ctx: WriteContext, series: DesignSeries, data: dict[str, Any]) -> dict[str, Any]:
    classification = data.get("classification") or series.classification
    itar = bool(data.get("itar_controlled", False)) or classification == "ITAR" or series.classification == "ITAR"
    access.require_may_classify(ctx, organization_id=series.organization_id, classification=classification, itar=itar)
    return {"classification": classification, "itar_controlled": itar}


def _meta_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in ("revision", "material", "units") if data.get(name) is not None}


def normal_hash(value: str) -> str:
    """``sha256:<hex>`` from either ``sha256:<hex>`` or ``<hex>`` (400 when it is neither)."""
    text = (value or "").strip().lower().removeprefix("sha256:")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValidationFailed(field_errors={"file_hash": ["A SHA-256 digest: 64 hex digits, optionally 'sha256:'."]})
    return f"sha256:{text}"


class _Spooled:
    """The bytes of an upload copied to a temporary file: size, SHA-256 and the first bytes."""

    def __init__(self, chunks: Iterable[bytes], *, limit: int | None) -> None:
        self.handle = tempfile.NamedTemporaryFile(prefix="plm-upload-", delete=False)  # noqa: SIM115
        digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        try:
            for chunk in chunks:
                if not chunk:
                    continue
                self.size += len(chunk)
                if limit is not None and self.size > limit:
                    raise FileTooLarge(
                        f"The upload passes {limit} bytes, the most this upload may hold.",
                        extra={"max_bytes": limit},
                    )
                if len(self.head) < formats.SNIFF_BYTES:
                    self.head += chunk[: formats.SNIFF_BYTES - len(self.head)]
                digest.update(chunk)
                self.handle.write(chunk)
            self.handle.flush()
        except BaseException:
            self.close()
            raise
        self.sha256 = f"sha256:{digest.hexdigest()}"

    def close(self) -> None:
        self.handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.handle.name)


def _store(design: DesignAsset, spooled: _Spooled, filename: str) -> None:
    with open(spooled.handle.name, "rb") as source:
        design.file.save(os.path.basename(filename), File(source), save=False)


def _store_name(design: DesignAsset, spooled: _Spooled) -> str:
    """The spooled bytes saved under a new name (the row is changed by the caller's audited update)."""
    field = design.file.field
    with open(spooled.handle.name, "rb") as source:
        return field.storage.save(field.generate_filename(design, os.path.basename(design.filename)), File(source))


def _chunks(upload: Any) -> Iterable[bytes]:
    if hasattr(upload, "chunks"):
        return upload.chunks(CHUNK)
    return iter(lambda: upload.read(CHUNK), b"")


def _limit() -> int:
    from custos.ops.services import upload_limit_bytes

    return upload_limit_bytes()


# --- processing as a Job ----------------------------------------------------------------------


def start_processing(ctx: WriteContext, design: DesignAsset) -> Job:
    """Queue the design's processing (a Job, after commit) and point the design at it."""
    job = job_create(
        ctx.within(design.organization_id),
        organization_id=design.organization_id,
        job_type=PROCESSING_JOB,
        task_name=PROCESSING_TASK,
        parameters={"design_id": str(design.pk), "file_format": design.file_format},
        subject_type=SUBJECT,
        subject_id=design.pk,
    )
    DesignAsset.objects.filter(pk=design.pk).update(processing_job=job)
    design.processing_job = job
    return job


# --- direct upload ----------------------------------------------------------------------------


def design_upload(ctx: WriteContext, *, series: DesignSeries, data: dict[str, Any]) -> DesignAsset:
    """A new version of ``series`` from a multipart ``file``: checked, stored, processed by a Job."""
    require_role(ctx, organization_id=series.organization_id)
    upload = data.get("file")
    if upload is None:
        raise ValidationFailed(
            field_errors={"file": ["Send the CAD file as multipart 'file', or use upload-url/ then finalize_upload/."]}
        )
    filename = os.path.basename(data.get("filename") or upload.name or "")
    file_format = formats.extension_format(filename)
    check_upload_size(int(upload.size or 0))
    export = _export_values(ctx, series, data)
    spooled = _Spooled(_chunks(upload), limit=_limit())
    try:
        formats.sniff(filename, spooled.head, spooled.size)
        organization = Organization.objects.get(pk=series.organization_id)
        organization_check_storage(organization, spooled.size)
        design = None
        try:
            with transaction.atomic():
                design = DesignAsset(
                    organization_id=series.organization_id,
                    series=series,
                    version_number=_next_version(series),
                    filename=filename,
                    file_format=file_format,
                    file_size_bytes=spooled.size,
                    file_hash=spooled.sha256,
                    status=DesignStatus.PROCESSING,
                    uploaded_by=ctx.user,
                    **export,
                    **_meta_values(data),
                )
                _store(design, spooled, filename)
                organization_storage_consume(organization=organization, delta_bytes=spooled.size)
                audited_create(
                    ctx,
                    design,
                    audit_values={
                        "series": str(series.pk),
                        "version_number": design.version_number,
                        "filename": filename,
                        "file_hash": spooled.sha256,
                        "file_size_bytes": spooled.size,
                        **export,
                    },
                )
                start_processing(ctx, design)
        except BaseException:
            if design is not None and design.file.name and not DesignAsset.objects.filter(pk=design.pk).exists():
                design.file.storage.delete(design.file.name)  # rolled back: the stored bytes go too
            raise
    finally:
        spooled.close()
    return design


# --- signed upload URL ------------------------------------------------------------------------


def upload_token(design: DesignAsset) -> tuple[str, datetime]:
    token = signing.TimestampSigner(salt=UPLOAD_SALT).sign(str(design.pk))
    return token, timezone.now() + timedelta(seconds=UPLOAD_URL_SECONDS)


def design_for_token(token: str) -> DesignAsset:
    """The design an upload URL was issued for; 403 when the signature is wrong or has expired."""
    signer = signing.TimestampSigner(salt=UPLOAD_SALT)
    try:
        design_id = signer.unsign(token, max_age=UPLOAD_URL_SECONDS)
    except signing.SignatureExpired:
        raise PermissionDenied("The upload URL has expired; ask for a new one.", code="UPLOAD_URL_EXPIRED") from None
    except signing.BadSignature:
        raise PermissionDenied("The upload URL is not valid.", code="UPLOAD_URL_INVALID") from None
    design = DesignAsset.objects.select_related("series").filter(pk=design_id).first()
    if design is None or design.status != DesignStatus.UPLOADING:
        raise Conflict("This upload URL has already been used or its design no longer exists.", code="UPLOAD_CLOSED")
    return design


def design_request_upload(
    ctx: WriteContext, *, series: DesignSeries, data: dict[str, Any]
) -> tuple[DesignAsset, str, datetime]:
    """A design in ``UPLOADING`` and the signed, expiring token of the URL that takes its bytes."""
    require_role(ctx, organization_id=series.organization_id)
    filename = os.path.basename(data["filename"])
    file_format = formats.extension_format(filename)
    declared = data.get("file_size")
    if declared is not None:
        check_upload_size(int(declared))
    export = _export_values(ctx, series, data)
    with transaction.atomic():
        design = audited_create(
            ctx,
            DesignAsset,
            values={
                "organization_id": series.organization_id,
                "series": series,
                "version_number": _next_version(series),
                "filename": filename,
                "file_format": file_format,
                "declared_size_bytes": declared,
                "status": DesignStatus.UPLOADING,
                "uploaded_by": ctx.user,
                **export,
                **_meta_values(data),
            },
        )
    token, expires_at = upload_token(design)
    return design, token, expires_at


def _s3_storage(design: DesignAsset) -> Any:
    """The design files' storage when it is S3 (django-storages), else ``None``."""
    storage = DesignAsset._meta.get_field("file").storage  # type: ignore[union-attr]
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    return storage if isinstance(storage, S3Storage) else None


def incoming_name(design: DesignAsset) -> str:
    """Where a presigned POST puts the bytes of ``design`` before ``finalize`` checks and files them."""
    return f"plm/incoming/{design.organization_id}/{design.pk}/{design.filename}"


def presigned_post(design: DesignAsset) -> dict[str, Any] | None:
    """An S3 presigned POST (``{"url", "fields"}``) that takes the bytes of ``design`` (size bounded by the
    settings' limit and the declared size), valid ``UPLOAD_URL_SECONDS``; ``None`` unless storage is S3."""
    storage = _s3_storage(design)
    if storage is None:
        return None
    limit = _limit()
    if design.declared_size_bytes:
        limit = min(limit, int(design.declared_size_bytes))
    key = storage._normalize_name(incoming_name(design))
    client = storage.connection.meta.client
    answer: dict[str, Any] = client.generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=key,
        Conditions=[["content-length-range", 1, limit]],
        ExpiresIn=UPLOAD_URL_SECONDS,
    )
    return answer


def _receive_incoming(ctx: WriteContext, design: DesignAsset) -> DesignAsset:
    """On S3, the bytes a presigned POST left at ``incoming_name``: checked and filed like any upload
    (size, content, storage quota, digest), then the incoming object is removed."""
    storage = _s3_storage(design)
    if storage is None or design.file:
        return design
    name = incoming_name(design)
    if not storage.exists(name):
        return design
    with storage.open(name, "rb") as incoming:
        design = design_receive_upload(ctx, design, chunks=iter(partial(incoming.read, CHUNK), b""))
    storage.delete(name)
    return design


def design_receive_upload(ctx: WriteContext, design: DesignAsset, *, chunks: Iterable[bytes]) -> DesignAsset:
    """The bytes sent to a signed upload URL (the signature is the credential): checked and stored."""
    limit = _limit()
    if design.declared_size_bytes:
        limit = min(limit, int(design.declared_size_bytes))
    spooled = _Spooled(chunks, limit=limit)
    try:
        formats.sniff(design.filename, spooled.head, spooled.size)
        organization = Organization.objects.get(pk=design.organization_id)
        previous = design.file_size_bytes if design.file else 0
        organization_check_storage(organization, spooled.size - previous)
        old_name = design.file.name if design.file else ""
        name = _store_name(design, spooled)
        try:
            with transaction.atomic():
                organization_storage_consume(organization=organization, delta_bytes=spooled.size - previous)
                audited_update(
                    ctx,
                    design,
                    values={"file": name, "file_size_bytes": spooled.size, "file_hash": spooled.sha256},
                    action="UPLOAD",
                    roles=None,
                )
        except BaseException:
            design.file.storage.delete(name)
            raise
        if old_name and old_name != name:
            storage = design.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    finally:
        spooled.close()
    return design


def design_finalize(ctx: WriteContext, design: DesignAsset, *, file_hash: str | None = None) -> Job:
    """Check the stored bytes' SHA-256 against ``file_hash`` (when given) and start processing."""
    require_role(ctx, organization_id=design.organization_id)
    if design.status == DesignStatus.UPLOADING:
        design = _receive_incoming(ctx, design)
    with transaction.atomic():
        design = DesignAsset.objects.select_for_update().select_related("series").get(pk=design.pk)
        if design.status != DesignStatus.UPLOADING:
            raise Conflict(f"This design is {design.status}: only an uploading design can be finalized.")
        if not design.file:
            raise ValidationFailed(field_errors={"file": ["No file has been uploaded to this design yet."]})
        if file_hash:
            expected = normal_hash(file_hash)
            if expected != design.file_hash:
                raise ValidationFailed(
                    "The uploaded file's SHA-256 does not match file_hash.",
                    code="FILE_HASH_MISMATCH",
                    field_errors={"file_hash": [f"The stored file's digest is {design.file_hash}."]},
                )
        audited_update(ctx, design, values={"status": DesignStatus.PROCESSING}, action="FINALIZE")
        return start_processing(ctx, design)


# --- metadata, download, deletion ---------------------------------------------------------------


def design_update(ctx: WriteContext, design: DesignAsset, *, data: dict[str, Any]) -> DesignAsset:
    values = {name: data[name] for name in META_FIELDS if name in data}
    if "status" in data and data["status"] != design.status:
        if data["status"] not in PATCH_STATUSES:
            raise ValidationFailed(
                field_errors={
                    "status": ["Only ARCHIVED can be set here; approval goes through start_review/ and approve/."]
                }
            )
        values["status"] = data["status"]
    if "classification" in values or "itar_controlled" in values:
        classification = values.get("classification", design.classification)
        itar = bool(values.get("itar_controlled", design.itar_controlled)) or classification == "ITAR"
        access.require_may_classify(
            ctx, organization_id=design.organization_id, classification=classification, itar=itar
        )
        values["itar_controlled"] = itar
    if "material" in values:
        density = density_of(values["material"])
        values["mass_kg"] = mass_kg(design.volume_cubic_mm, density)
    return audited_update(ctx, design, values=values)


def design_delete(ctx: WriteContext, design: DesignAsset) -> None:
    """The row (its BOM, reviews and markups cascade), then after commit its file; storage released."""
    stored = design.file.name if design.file else ""
    shown = design.preview.name if design.preview else ""
    size = design.file_size_bytes if stored else 0
    with transaction.atomic():
        audited_delete(ctx, design)
        if size:
            organization_storage_consume(
                organization=Organization.objects.get(pk=design.organization_id), delta_bytes=-size
            )
    for name, storage in ((stored, design.file.storage), (shown, design.preview.storage)):
        if name:
            transaction.on_commit(partial(storage.delete, name))


def design_record_download(ctx: WriteContext, design: DesignAsset) -> None:
    if not design.file:
        raise Conflict("This design has no stored file yet.", code="NO_FILE")
    audit_record(
        ctx,
        action="DOWNLOAD",
        resource_type="DesignAsset",
        resource_id=design.pk,
        resource_name=str(design),
        changes={"filename": design.filename, "file_hash": design.file_hash, "classification": design.classification},
        target=design,
    )


def design_record_preview(ctx: WriteContext, design: DesignAsset) -> None:
    """The preview is the design's geometry leaving the server: recorded like a download."""
    if not design.preview:
        raise NotFound(
            "This design has no web preview (it has not been processed, or its processing failed).",
            code="PREVIEW_NOT_AVAILABLE",
        )
    audit_record(
        ctx,
        action="PREVIEW",
        resource_type="DesignAsset",
        resource_id=design.pk,
        resource_name=str(design),
        changes={"preview": design.preview.name, "classification": design.classification},
        target=design,
    )
