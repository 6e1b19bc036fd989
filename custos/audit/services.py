"""Writing to and verifying the audit log.

``audit_record`` is called by every service that writes, inside the same transaction as the write, so
a rolled-back write leaves no audit row and a committed one always has exactly one. Rows form a hash
chain: ``hash = sha256(previous_hash + canonical JSON of the row)``. Appends are serialised (an
advisory lock on PostgreSQL; SQLite's single writer otherwise), so the chain never forks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from django.db import connection, transaction
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.kernel.context import WriteContext

__all__ = ["WriteContext", "audit_changes", "audit_record", "audit_verify"]

GENESIS = "0" * 64
_LOCK_KEY = 0x43555354  # "CUST": the advisory lock that serialises appends on PostgreSQL


def _canonical(row: AuditLog) -> bytes:
    payload = {
        "sequence": row.sequence,
        "timestamp": row.timestamp.isoformat(),
        "organization_id": str(row.organization_id) if row.organization_id else None,
        "actor_type": row.actor_type,
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "resource_name": row.resource_name,
        "changes": row.changes,
        "ip_address": row.ip_address,
        "user_agent": row.user_agent,
        "request_id": row.request_id,
        "success": row.success,
        "error_message": row.error_message,
    }
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


_INT64 = 2**63


def stable_json(value: Any) -> Any:
    """``value`` in the form every database gives back unchanged, so a row re-hashes to the same digest
    after storage. PostgreSQL's jsonb keeps numbers as decimals: a float with an integral value
    (``1e16``, ``5.38e16``) comes back as an integer written with the float's shortest digits, which is
    what this returns; integers beyond 64 bits (which the canonical encoder refuses) become strings."""
    if isinstance(value, dict):
        return {key: stable_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stable_json(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        value = int(Decimal(repr(value)))
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return str(value)
    return value


def compute_hash(row: AuditLog) -> str:
    return hashlib.sha256(row.previous_hash.encode() + _canonical(row)).hexdigest()


def audit_organization_id(target: Any) -> Any:
    """The organization a resource belongs to (for the audit row's tenancy), or ``None``.

    An ``Organization`` is its own organization; any other object answers with its ``organization_id``.
    """
    if target is None:
        return None
    if type(target).__name__ == "Organization" and type(target).__module__.startswith("custos.orgs"):
        return target.pk
    return getattr(target, "organization_id", None)


def audit_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: {"old": ..., "new": ...}}`` for the fields whose value differs."""
    return {name: {"old": before.get(name), "new": value} for name, value in after.items() if before.get(name) != value}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def audit_record(
    ctx: WriteContext | None = None,
    *,
    action: str,
    resource_type: str,
    resource_id: Any = "",
    resource_name: str = "",
    changes: dict[str, Any] | None = None,
    organization_id: Any = None,
    success: bool = True,
    error_message: str = "",
    target: Any = None,
    actor: Any = None,
) -> AuditLog:
    """Append one audit row (in the caller's transaction).

    ``ctx`` says who acted and from where (``None``: the platform). ``actor`` names a user when there
    is no context yet (a failed login names the account it tried). ``target`` (optional) is the object
    acted on: when ``organization_id`` is not given it is derived from it (``audit_organization_id``),
    so every row of a tenant's resource is visible to that tenant.
    """
    if ctx is None:
        ctx = WriteContext.for_user(actor) if actor is not None else WriteContext.system()
    if organization_id is None:
        organization_id = audit_organization_id(target)
        if organization_id is None:
            organization_id = ctx.organization_id
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditLog.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
        row = AuditLog(
            sequence=sequence,
            timestamp=timezone.now(),
            organization_id=organization_id,
            actor_type=ctx.actor_type,
            actor_id=ctx.actor_id,
            actor_label=ctx.actor_label,
            action=action,
            resource_type=resource_type,
            resource_id=str(resource_id or ""),
            resource_name=str(resource_name or "")[:255],
            changes=orjson.loads(orjson.dumps(stable_json(changes or {}), default=str)),
            ip_address=ctx.client_ip,
            user_agent=ctx.user_agent[:1000],
            request_id=ctx.request_id[:128],
            success=success,
            error_message=error_message,
            previous_hash=previous,
        )
        row.hash = compute_hash(row)
        row.save(force_insert=True)
    return row


def audit_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain; the first row whose hash or link does not match is reported."""
    previous = GENESIS
    expected_sequence = 1
    checked = 0
    for row in AuditLog.objects.order_by("sequence").iterator(chunk_size=batch_size):
        if row.sequence != expected_sequence:
            return ChainReport(False, checked, row.sequence, f"row {expected_sequence} is missing")
        if row.previous_hash != previous:
            return ChainReport(False, checked, row.sequence, "link to the previous row does not match")
        if compute_hash(row) != row.hash:
            return ChainReport(False, checked, row.sequence, "content does not match its hash")
        previous = row.hash
        expected_sequence += 1
        checked += 1
    return ChainReport(True, checked)


# --- Cheap, continuous verification (the health check) ----------------------------------------

CHECKPOINT_KEY = "custos:audit:checkpoint"  # (sequence, hash) of the last row verified in order
FULL_RESULT_KEY = "custos:audit:full-verify"  # the last full walk's result (task or command)
_RESULT_TTL = 60 * 60 * 24 * 30


def _key(base: str) -> str:
    """Cache keys name the database whose chain they describe (several may share one cache)."""
    return f"{base}:{connection.settings_dict.get('NAME')}"


def _cache() -> Any:
    from django.core.cache import cache

    return cache


def audit_verify_recent(*, max_rows: int = 5000) -> ChainReport:
    """Verify the rows appended since the last verified checkpoint (kept in the shared cache).

    Costs one query for the checkpoint row plus one per ``max_rows`` new rows, so the health check can
    run it on every call. The checkpoint row is re-hashed each time; rows before it are covered by the
    full walk (``audit_verify_and_remember``, run periodically and by ``custos audit verify``), whose
    last failure is reported here until a later full walk passes.
    """
    cache = _cache()
    full = cache.get(_key(FULL_RESULT_KEY))
    if full and not full.get("ok"):
        return ChainReport(False, 0, full.get("broken_at"), f"full verification: {full.get('reason')}")
    checkpoint = cache.get(_key(CHECKPOINT_KEY))
    previous, expected = GENESIS, 1
    if checkpoint:
        sequence, stored_hash = checkpoint
        anchor = AuditLog.objects.filter(sequence=sequence).first()
        if anchor is None:
            return ChainReport(False, 0, sequence, f"row {sequence} is missing")
        if anchor.hash != stored_hash or compute_hash(anchor) != anchor.hash:
            return ChainReport(False, 0, sequence, "content does not match its hash")
        previous, expected = anchor.hash, sequence + 1
    checked = 0
    last: AuditLog | None = None
    for row in AuditLog.objects.filter(sequence__gte=expected).order_by("sequence")[:max_rows]:
        if row.sequence != expected:
            return ChainReport(False, checked, row.sequence, f"row {expected} is missing")
        if row.previous_hash != previous:
            return ChainReport(False, checked, row.sequence, "link to the previous row does not match")
        if compute_hash(row) != row.hash:
            return ChainReport(False, checked, row.sequence, "content does not match its hash")
        previous, expected, last, checked = row.hash, expected + 1, row, checked + 1
    if last is not None:
        cache.set(_key(CHECKPOINT_KEY), (last.sequence, last.hash), timeout=None)
    return ChainReport(True, checked)


def audit_verify_and_remember() -> ChainReport:
    """The full walk (``audit_verify``), its result kept for the health check."""
    report = audit_verify()
    _cache().set(
        _key(FULL_RESULT_KEY),
        {
            "ok": report.ok,
            "checked": report.checked,
            "broken_at": report.broken_at,
            "reason": report.reason,
            "at": timezone.now().isoformat(),
        },
        timeout=_RESULT_TTL,
    )
    return report
