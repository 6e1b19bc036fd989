"""Writes of the device domain: the registry (audited), device tokens (audited) and reading ingestion.

Ingestion is the hot path and deliberately writes no audit row and publishes no event for the readings:
a batch is validated whole, then stored with one bulk insert and one ``last_seen`` update, in one
transaction, in which the alarm rules are evaluated (``custos.devices.rules``: an alarm raised or cleared
is audited and published as the alert services do).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import orjson
from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Model
from django.db.models import Field as ModelField
from django.utils import timezone

from custos.audit.writes import audited_action, audited_create, audited_delete, audited_update, require_role
from custos.devices.choices import (
    DEFAULT_METRIC,
    DEVICE_ID_PATTERN,
    DEVICE_TYPE_PATTERN,
    GENERIC_DEVICE_TYPE,
    METRIC_PATTERN,
    DeviceStatus,
)
from custos.devices.models import Device, DeviceCredential, DeviceEvent, DeviceEventType, IngestReplay, Reading
from custos.devices.rules import device_status_refresh, evaluate_batch
from custos.kernel.context import WriteContext
from custos.kernel.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from custos.orgs.choices import ADMIN_ROLES, WRITE_ROLES

DEVICE_FIELDS = ("device_type", "name", "location", "unit", "metadata")
TOKEN_PREFIX = "dvt_"  # noqa: S105 - the visible prefix of device tokens, not a secret
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_LISTED_ERRORS = 100

logger = logging.getLogger("custos.devices")

_DEVICE_ID = re.compile(DEVICE_ID_PATTERN)
_DEVICE_TYPE = re.compile(DEVICE_TYPE_PATTERN)
_METRIC = re.compile(METRIC_PATTERN)


def max_batch_rows() -> int:
    return int(getattr(settings, "DEVICES_INGEST_MAX_ROWS", 10_000))


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "PAYLOAD_TOO_LARGE"
    default_message = "Too many readings in one request."


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "IDEMPOTENCY_KEY_REUSED"
    default_message = "This Idempotency-Key was used for a different request."


# --- Registry -------------------------------------------------------------------------------------


def _checked_device_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in DEVICE_FIELDS if name in data}
    if "device_type" in values and not _DEVICE_TYPE.match(str(values["device_type"])):
        raise ValidationFailed(field_errors={"device_type": ["Lower-case letters, digits, '_' or '-' (at most 64)."]})
    if "metadata" in values and not isinstance(values["metadata"], dict):
        raise ValidationFailed(field_errors={"metadata": ["Must be a JSON object."]})
    return values


def device_create(ctx: WriteContext, *, data: Mapping[str, Any]) -> Device:
    """Register ``data["device_id"]`` in ``ctx.organization_id`` (409 when the organization has it)."""
    device_id = str(data.get("device_id") or "")
    if not _DEVICE_ID.match(device_id):
        raise ValidationFailed(field_errors={"device_id": ["Letters, digits, '_', '-', '.', ':' (at most 64)."]})
    values = {"device_type": GENERIC_DEVICE_TYPE, **_checked_device_values(data)}
    require_role(ctx, organization_id=ctx.organization_id, roles=WRITE_ROLES)
    if Device.objects.filter(organization_id=ctx.organization_id, device_id=device_id).exists():
        raise Conflict(f"Device {device_id!r} already exists.")
    try:
        return audited_create(ctx, Device, values={"device_id": device_id, **values}, roles=WRITE_ROLES)
    except IntegrityError:  # registered concurrently
        raise Conflict(f"Device {device_id!r} already exists.") from None


def device_update(ctx: WriteContext, instance: Device, *, data: Mapping[str, Any]) -> Device:
    """Change the descriptive fields (OWNER/ADMIN). The key ``device_id`` never changes."""
    if "device_id" in data and data["device_id"] != instance.device_id:
        raise ValidationFailed(field_errors={"device_id": ["A device's id cannot be changed."]})
    return audited_update(ctx, instance, values=_checked_device_values(data), roles=ADMIN_ROLES)


def device_delete(ctx: WriteContext, instance: Device) -> None:
    """Remove the device with its credential and readings (OWNER/ADMIN)."""
    audited_delete(ctx, instance, roles=ADMIN_ROLES)


# --- Device tokens --------------------------------------------------------------------------------


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    device: Device
    token: str  # shown once, never stored
    prefix: str
    issued_at: datetime
    rotated: bool
    device_created: bool


def device_token_issue(
    ctx: WriteContext, *, device_id: str, device_type: str | None = None, name: str | None = None
) -> IssuedToken:
    """A new token for ``device_id`` in ``ctx.organization_id`` (OWNER/ADMIN); the device is registered
    first when missing. Issuing again rotates: the previous token stops working at once."""
    require_role(ctx, organization_id=ctx.organization_id, roles=ADMIN_ROLES)
    raw = f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"
    now = timezone.now()
    with transaction.atomic():
        device = (
            Device.objects.select_for_update().filter(organization_id=ctx.organization_id, device_id=device_id).first()
        )
        created = device is None
        if device is None:
            data: dict[str, Any] = {"device_id": device_id}
            if device_type:
                data["device_type"] = device_type
            if name:
                data["name"] = name
            device = device_create(ctx, data=data)
        credential = DeviceCredential.objects.filter(device=device).first()
        rotated = credential is not None
        if credential is None:
            DeviceCredential.objects.create(
                organization_id=device.organization_id,
                device=device,
                token_hash=token_hash(raw),
                prefix=raw[:12],
                issued_at=now,
            )
        else:
            credential.token_hash = token_hash(raw)
            credential.prefix = raw[:12]
            credential.issued_at = now
            credential.rotations = F("rotations") + 1
            credential.last_used_at = None
            credential.save(
                update_fields=["token_hash", "prefix", "issued_at", "rotations", "last_used_at", "updated_at"]
            )
        audited_action(
            ctx,
            device,
            action="ROTATE_TOKEN" if rotated else "ISSUE_TOKEN",
            changes={"token_prefix": raw[:12]},
            roles=ADMIN_ROLES,
        )
    return IssuedToken(
        device=device, token=raw, prefix=raw[:12], issued_at=now, rotated=rotated, device_created=created
    )


def device_authenticate(*, raw: str) -> Device | None:
    """The device whose current token is ``raw`` (its organization active), or ``None``."""
    credential = (
        DeviceCredential.objects.select_related("device")
        .filter(token_hash=token_hash(raw), device__organization__is_active=True)
        .only("id", "last_used_at", "device")
        .first()
    )
    if credential is None:
        return None
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > timedelta(minutes=1):
        DeviceCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return credential.device


# --- Ingestion ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    replayed: bool = False
    status_code: int = 201
    body: dict[str, Any] = field(default_factory=dict)


def _timestamp(raw: Any, *, latest: datetime) -> tuple[datetime | None, str]:
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return None, "timestamp: not an ISO 8601 date-time"
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if not math.isfinite(raw):
            return None, "timestamp: must be finite"
        try:
            moment = datetime.fromtimestamp(raw, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None, "timestamp: out of range"
    else:
        return None, f"timestamp: must be an ISO 8601 string or epoch seconds, not {type(raw).__name__}"
    if moment > latest:
        return None, "timestamp: more than 5 minutes in the future"
    return moment.astimezone(UTC), ""


def _value(raw: Any) -> tuple[float | None, str]:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None, f"value: must be a number, not {type(raw).__name__}"
    try:
        number = float(raw)
    except OverflowError:
        return None, "value: out of range"
    if not math.isfinite(number):
        return None, "value: NaN and Infinity are not allowed"
    return number, ""


def _fingerprint(device: Device | None, rows: Sequence[Any]) -> str:
    body = orjson.dumps({"device": str(device.pk) if device else None, "rows": rows}, default=str)
    return hashlib.sha256(body).hexdigest()


DeviceKeys = dict[Any, tuple[str, str]]  # device pk -> (device_id, device_type)


def _row_reasons(
    row: Any, *, device: Device | None, devices: Mapping[str, Any], latest: datetime
) -> tuple[tuple[Any, datetime, str, float] | None, list[str]]:
    """One row checked field by field: the prepared row, or every reason it is refused."""
    if not isinstance(row, Mapping):
        return None, [f"must be an object, not {type(row).__name__}"]
    reasons: list[str] = []
    if device is None:
        if "device_id" not in row:
            reasons.append("device_id: missing")
            pk = None
        else:
            pk = devices.get(str(row["device_id"]))
            if pk is None:
                reasons.append(f"device_id: unknown device {str(row['device_id'])[:64]!r}")
    else:
        pk = device.pk
        if "device_id" in row and row["device_id"] != device.device_id:
            reasons.append("device_id: not the device of this route")
    moment = number = None
    if "timestamp" not in row:
        reasons.append("timestamp: missing")
    else:
        moment, reason = _timestamp(row["timestamp"], latest=latest)
        if reason:
            reasons.append(reason)
    if "value" not in row:
        reasons.append("value: missing")
    else:
        number, reason = _value(row["value"])
        if reason:
            reasons.append(reason)
    metric = row.get("metric", DEFAULT_METRIC)
    if metric is None or metric == "":
        metric = DEFAULT_METRIC
    if not isinstance(metric, str) or not _METRIC.match(metric):
        reasons.append("metric: letters, digits, '_', '-' or '.' (at most 64)")
    if reasons or moment is None or number is None:
        return None, reasons
    return (pk, moment, metric, number), reasons


def _validated(
    ctx: WriteContext, *, device: Device | None, rows: Sequence[Any]
) -> tuple[list[tuple[Any, datetime, str, float]], list[dict[str, Any]], DeviceKeys]:
    """Each row as (device pk, timestamp, metric, value), the list of (index, reason) refusals, and the
    key and type of each device of the batch.

    The common row (an object of ``[device_id,] timestamp, value[, metric]`` with an ISO 8601 string,
    a finite float or int and a known metric) takes a fast path; any other row is checked field by field
    (``_row_reasons``), which also words its refusal."""
    devices: dict[str, Any] = {}
    keys: DeviceKeys = {}
    if device is None:
        named = {
            str(row["device_id"])
            for row in rows
            if (type(row) is dict or isinstance(row, Mapping)) and "device_id" in row
        }
        found = Device.objects.filter(organization_id=ctx.organization_id, device_id__in=named)
        if ctx.device is not None:  # a device writes its own readings only
            found = found.filter(pk=ctx.device.pk)
        for key, pk, device_type in found.values_list("device_id", "pk", "device_type"):
            devices[key] = pk
            keys[pk] = (key, device_type)
    else:
        keys[device.pk] = (device.device_id, device.device_type)
    latest = timezone.now() + FUTURE_TOLERANCE
    prepared: list[tuple[Any, datetime, str, float]] = []
    errors: list[dict[str, Any]] = []
    metrics_ok = {DEFAULT_METRIC}
    fixed_pk = device.pk if device is not None else None
    fixed_key = device.device_id if device is not None else None
    parse, isfinite, utc = datetime.fromisoformat, math.isfinite, UTC
    for index, row in enumerate(rows):
        if type(row) is dict:
            stamp, value, metric = row.get("timestamp"), row.get("value"), row.get("metric", DEFAULT_METRIC)
            given = row.get("device_id", fixed_key)
            if type(given) is not str:
                pk = None
            elif fixed_pk is None:
                pk = devices.get(given)
            else:
                pk = fixed_pk if given == fixed_key else None
            value_type = type(value)
            known_metric = type(metric) is str and (metric in metrics_ok or _METRIC.match(metric) is not None)
            if pk is not None and known_metric and type(stamp) is str and (value_type is float or value_type is int):
                metrics_ok.add(metric)
                try:
                    moment: datetime | None = parse(stamp)
                    number = float(value)  # type: ignore[arg-type]
                except (ValueError, OverflowError):
                    moment = None
                if moment is not None and isfinite(number):
                    moment = moment.replace(tzinfo=utc) if moment.tzinfo is None else moment.astimezone(utc)
                    if moment <= latest:
                        prepared.append((pk, moment, metric, number))
                        continue
        one, reasons = _row_reasons(row, device=device, devices=devices, latest=latest)
        if one is not None:
            prepared.append(one)
        else:
            errors.append({"index": index, "reason": "; ".join(reasons)})
    return prepared, errors, keys


def _column(model: type[Model], name: str) -> str:
    """The database column of the concrete field ``name``."""
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, ModelField) or model_field.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return model_field.column


READING_COLUMNS = ("device", "organization", "timestamp", "metric", "value")
# PostgreSQL types of READING_COLUMNS for a binary COPY (the model's: uuid keys, timestamptz, varchar, float8)
COPY_TYPES = ("uuid", "uuid", "timestamptz", "text", "float8")


def _insert_readings(organization_id: Any, prepared: Sequence[tuple[Any, datetime, str, float]]) -> None:
    """One bulk write of the prepared rows (timestamps already in UTC).

    PostgreSQL: one binary ``COPY ... FROM STDIN`` through psycopg 3 (``cursor.copy``), the fastest
    way into the table, inside the caller's transaction. Other backends (SQLite): a single
    ``executemany`` of one parameterised INSERT, the values converted as the model's fields convert
    them (keys once per device, the timestamp per row with the backend's own form). Both replace
    ``bulk_create``, whose per-row model instances and per-value SQL compilation cost four to five
    times the insert itself (see bench/twin_ingest.py)."""
    connection = connections[router.db_for_write(Reading)]
    meta = Reading._meta
    columns = ", ".join(connection.ops.quote_name(_column(Reading, name)) for name in READING_COLUMNS)
    table = connection.ops.quote_name(meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor behind Django's wrappers
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(COPY_TYPES)
                write = copy.write_row
                for pk, moment, metric, value in prepared:
                    write((pk, organization_id, moment, metric, value))
        return
    device_field, organization_field = meta.get_field("device"), meta.get_field("organization")
    organization = organization_field.get_db_prep_save(organization_id, connection)
    # keyed by the pk object's identity (the rows of a device share one): no UUID hash per row
    devices = {id(row[0]): device_field.get_db_prep_save(row[0], connection) for row in prepared}
    params: list[tuple[Any, ...]]
    if connection.vendor == "sqlite":
        # SQLite's adapt_datetimefield_value is str() of the naive UTC time, i.e. isoformat(" ") without
        # the "+00:00" an aware UTC time carries (the rows are in UTC already).
        params = [
            (devices[id(pk)], organization, moment.isoformat(" ")[:-6], metric, value)
            for pk, moment, metric, value in prepared
        ]
    else:
        adapt = connection.ops.adapt_datetimefield_value
        params = [
            (devices[id(pk)], organization, adapt(moment), metric, value) for pk, moment, metric, value in prepared
        ]
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _publish_readings(
    organization_id: Any, prepared: Sequence[tuple[Any, datetime, str, float]], keys: DeviceKeys
) -> None:
    """After the commit: hand the batch to the live streams (``custos.events.streams``). A failure there
    is logged and never reaches the ingestion, whose readings are stored already."""
    try:
        from custos.events import streams

        rows = [(keys[pk][0], moment, metric, value) for pk, moment, metric, value in prepared]
        streams.readings_ingested(organization_id, rows)
    except Exception:
        logger.exception("live stream hook failed for a batch of %d readings", len(prepared))


def _known_replay(*, organization_id: Any, key: str) -> IngestReplay | None:
    """The committed answer to ``key`` (the cheap path; the unique constraint is the guarantee)."""
    return IngestReplay.objects.filter(organization_id=organization_id, key=key).first()


def _replay(record: IngestReplay, fingerprint: str) -> IngestResult:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return IngestResult(
        accepted=int(record.response.get("accepted", 0)),
        replayed=True,
        status_code=record.status_code,
        body=dict(record.response),
    )


def readings_ingest(
    ctx: WriteContext,
    *,
    device: Device | None = None,
    rows: Sequence[Any],
    idempotency_key: str | None = None,
) -> IngestResult:
    """Store a batch of readings into ``ctx.organization_id``: of ``device`` (rows ``{timestamp, value,
    metric?}``), or of the device each row names (``{device_id, timestamp, value, metric?}``).

    All or nothing: any bad row refuses the batch (400 listing each bad row's index and reason). With
    ``idempotency_key`` the first answer is kept and replayed for the same request; nothing more is
    stored, even when duplicates race. A device (``ctx.device``) may write its own readings only."""
    organization_id = ctx.organization_id
    if organization_id is None:
        raise ValidationFailed("No organization to write into.", code="ORGANIZATION_REQUIRED")
    require_role(ctx, organization_id=organization_id, roles=WRITE_ROLES)
    if device is not None:
        if device.organization_id != organization_id:
            raise PermissionDenied("The device belongs to another organization.")
        if ctx.device is not None and ctx.device.pk != device.pk:
            raise PermissionDenied("A device may only send its own readings.")
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)):
        raise ValidationFailed(field_errors={"readings": ["A list of readings is required."]})
    if not rows:
        raise ValidationFailed(field_errors={"readings": ["At least one reading is required."]})
    cap = max_batch_rows()
    if len(rows) > cap:
        raise PayloadTooLarge(f"{len(rows)} readings in one request; at most {cap}.")

    fingerprint = ""
    if idempotency_key is not None:
        if not (0 < len(idempotency_key) <= 255) or not idempotency_key.isprintable():
            raise ValidationFailed(field_errors={"Idempotency-Key": ["1 to 255 printable characters."]})
        fingerprint = _fingerprint(device, rows)
        known = _known_replay(organization_id=organization_id, key=idempotency_key)
        if known is not None:
            return _replay(known, fingerprint)

    prepared, errors, keys = _validated(ctx, device=device, rows=rows)
    if errors:
        raise ValidationFailed(
            f"{len(errors)} of {len(rows)} readings are invalid; none were stored.",
            extra={"rejected": len(errors), "errors": errors[:MAX_LISTED_ERRORS]},
        )

    body = {"accepted": len(prepared)}
    now = timezone.now()
    with transaction.atomic():
        if idempotency_key is not None:
            try:
                with transaction.atomic():
                    IngestReplay.objects.create(
                        organization_id=organization_id,
                        key=idempotency_key,
                        fingerprint=fingerprint,
                        status_code=201,
                        response=body,
                    )
            except IntegrityError:  # a duplicate committed first: answer as it did, store nothing
                return _replay(
                    IngestReplay.objects.get(organization_id=organization_id, key=idempotency_key), fingerprint
                )
        _insert_readings(organization_id, prepared)
        # the alarm rules, in the same transaction
        evaluate_batch(organization_id=organization_id, rows=prepared, devices=keys)
        # a device that was offline is back: its status follows its other open alarms again
        back = list(Device.objects.filter(pk__in=list(keys), status=DeviceStatus.OFFLINE).values_list("device_id"))
        Device.objects.filter(pk__in=list(keys)).update(last_seen=now)
        if back:
            device_status_refresh(organization_id=organization_id, device_keys=[key for (key,) in back], receiving=True)
        transaction.on_commit(partial(_publish_readings, organization_id, prepared, keys))
    return IngestResult(accepted=len(prepared), body=body)


def idempotency_window() -> timedelta:
    return timedelta(hours=int(getattr(settings, "DEVICES_IDEMPOTENCY_WINDOW_HOURS", 24)))


def ingest_replays_prune(*, now: datetime | None = None) -> int:
    """Forget the Idempotency-Key answers older than the replay window (``DEVICES_IDEMPOTENCY_WINDOW_HOURS``);
    the number removed. Run by the periodic task ``devices.evaluate_no_data_rules``."""
    cutoff = (now or timezone.now()) - idempotency_window()
    removed, _ = IngestReplay.objects.filter(created_at__lt=cutoff).delete()
    return removed


def readings_prune(*, now: datetime | None = None) -> int:
    """Delete the readings older than ``DEVICES_READINGS_RETENTION_DAYS`` (0 keeps them for ever); the
    number removed. Run hourly by the beat entry ``prune-readings``.

    One delete over the time range, for every device at once: on PostgreSQL the BRIN index on the
    timestamp (migration devices/0006) narrows it to the block ranges of the oldest readings, where one
    delete per device read all of each device's (device, metric, timestamp) index entries, the metric
    being unknown (the hourly run on 2 million readings: 6 ms against 240 ms, bench/time_indexes.py);
    SQLite scans the table once, which is also faster than once per device."""
    days = int(getattr(settings, "DEVICES_READINGS_RETENTION_DAYS", 0))
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    removed, _ = Reading.objects.filter(timestamp__lt=cutoff).delete()
    return removed


# --- Events (failures, maintenance, repairs) ------------------------------------------------------

EVENT_NOTES_MAX = 4000


def device_event_record(ctx: WriteContext, *, device: Device, data: Mapping[str, Any]) -> DeviceEvent:
    """Record ``{timestamp, type: failure|maintenance|repair, notes?}`` on ``device`` (a member's write,
    audited). The timestamp is ISO 8601 or epoch seconds, at most 5 minutes in the future."""
    errors: dict[str, list[str]] = {}
    moment = None
    if "timestamp" not in data:
        errors["timestamp"] = ["This field is required."]
    else:
        moment, reason = _timestamp(data["timestamp"], latest=timezone.now() + FUTURE_TOLERANCE)
        if reason:
            errors["timestamp"] = [reason.removeprefix("timestamp: ")]
    kind = data.get("type")
    if kind not in DeviceEventType.values:
        errors["type"] = [f"One of {', '.join(DeviceEventType.values)}."]
    notes = data.get("notes") or ""
    if not isinstance(notes, str) or len(notes) > EVENT_NOTES_MAX:
        errors["notes"] = [f"Text of at most {EVENT_NOTES_MAX} characters."]
    if errors:
        raise ValidationFailed(field_errors=errors)
    return audited_create(
        ctx.within(device.organization_id),
        DeviceEvent,
        values={
            "organization_id": device.organization_id,
            "device": device,
            "timestamp": moment,
            "event_type": kind,
            "notes": notes,
        },
        roles=WRITE_ROLES,
    )
