"""Export control of designs: ITAR needs a US person, a classification needs a clearance that covers it.

The user's attestation is read through ``attestation`` only (the one the owning organization holds on
the user's membership, notes "enginel (003)"), always for the organization that owns the object. Lists
never show what the caller could not open; a direct request is a 403 with an ``ITAR_VIOLATION`` audit
row (``deny``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from custos.audit.services import audit_record
from custos.kernel.context import WriteContext
from custos.kernel.errors import PermissionDenied
from custos.modules.plm.choices import Classification

CLEARANCE_RANK = {"UNCLASSIFIED": 0, "CONFIDENTIAL": 1, "SECRET": 2, "TOP_SECRET": 3}
# The clearance each classification needs; ITAR (a US person) and EAR99/CUI need no clearance above
# UNCLASSIFIED.
REQUIRED_RANK: dict[str, int] = {
    Classification.UNCLASSIFIED: 0,
    Classification.EAR99: 0,
    Classification.CUI: 0,
    Classification.ITAR: 0,
    Classification.CONFIDENTIAL: 1,
    Classification.SECRET: 2,
    Classification.TOP_SECRET: 3,
}
ITAR_MESSAGE = "Access denied: ITAR-controlled designs require US person status."
ITAR_CODE = "ITAR_VIOLATION"
VIOLATION_ACTION = "ITAR_VIOLATION"


def attestation(user: Any, organization_id: Any) -> tuple[bool, str]:
    """``(is_us_person, clearance_level)`` of ``user`` for objects of ``organization_id``: what that
    organization attests on the user's membership (``custos.orgs.selectors.attestation``)."""
    from custos.orgs.selectors import attestation as organization_attestation

    found = organization_attestation(user=user, organization_id=organization_id)
    return bool(found.is_us_person), str(found.clearance_level or "UNCLASSIFIED")


@dataclass(frozen=True)
class Requirement:
    """What opening an object asks of the caller."""

    rank: int = 0
    us_person: bool = False

    @property
    def level(self) -> str:
        return next(name for name, rank in CLEARANCE_RANK.items() if rank == self.rank)


def requirement(*classifications: str, itar: bool = False) -> Requirement:
    rank = max((REQUIRED_RANK.get(value, 0) for value in classifications if value), default=0)
    us_person = itar or Classification.ITAR in classifications
    return Requirement(rank=rank, us_person=us_person)


def series_requirement(series: Any) -> Requirement:
    return requirement(series.classification)


def design_requirement(design: Any) -> Requirement:
    return requirement(design.classification, design.series.classification, itar=design.itar_controlled)


def refusal(user: Any, organization_id: Any, needed: Requirement) -> tuple[str, str] | None:
    """``(reason, message)`` when ``user`` may not open an object needing ``needed``, else ``None``."""
    is_us_person, clearance = attestation(user, organization_id)
    if needed.us_person and not is_us_person:
        return "US_PERSON_REQUIRED", ITAR_MESSAGE
    if CLEARANCE_RANK.get(clearance, 0) < needed.rank:
        return "CLEARANCE_REQUIRED", f"Access denied: this design requires {needed.level} clearance."
    return None


def deny(ctx: WriteContext, obj: Any, *, needed: Requirement, reason: str, message: str) -> PermissionDenied:
    """Record the refused access (its own transaction: it survives the 403) and return the error."""
    audit_record(
        ctx,
        action=VIOLATION_ACTION,
        resource_type=type(obj).__name__,
        resource_id=obj.pk,
        resource_name=str(obj),
        changes={"reason": reason, "required_clearance": needed.level, "us_person_required": needed.us_person},
        organization_id=obj.organization_id,
        success=False,
        error_message=message,
    )
    return PermissionDenied(message, code=ITAR_CODE)


def check(ctx: WriteContext, obj: Any, needed: Requirement) -> None:
    """Raise (and log) unless the actor of ``ctx`` may open ``obj``."""
    if ctx.is_system:
        return
    refused = refusal(ctx.user, obj.organization_id, needed)
    if refused is not None:
        raise deny(ctx, obj, needed=needed, reason=refused[0], message=refused[1])


def check_design(ctx: WriteContext, design: Any) -> None:
    check(ctx, design, design_requirement(design))


def allowed_classifications(user: Any, organization_id: Any) -> tuple[list[str], bool]:
    """The classifications ``user`` may open in ``organization_id`` and whether ITAR rows are allowed."""
    is_us_person, clearance = attestation(user, organization_id)
    rank = CLEARANCE_RANK.get(clearance, 0)
    allowed = [value for value, needed in REQUIRED_RANK.items() if needed <= rank]
    if not is_us_person:
        allowed = [value for value in allowed if value != Classification.ITAR]
    return [str(value) for value in allowed], is_us_person


def visible_q(user: Any, organization_ids: Iterable[Any], *, design: str | None = None, series: str | None = None) -> Q:
    """The rows ``user`` may open among ``organization_ids``: ``design`` is the lookup path to a design
    (``""`` for the design itself, ``"design_asset__"`` for a child); ``series`` to a series."""
    condition = Q(pk__in=[])
    for organization_id in organization_ids:
        allowed, is_us_person = allowed_classifications(user, organization_id)
        part = Q(organization_id=organization_id)
        if design is not None:
            part &= Q(**{f"{design}classification__in": allowed})
            part &= Q(**{f"{design}series__classification__in": allowed})
            if not is_us_person:
                part &= Q(**{f"{design}itar_controlled": False})
        if series is not None:
            part &= Q(**{f"{series}classification__in": allowed})
        condition |= part
    return condition


def require_may_classify(ctx: WriteContext, *, organization_id: Any, classification: str, itar: bool = False) -> None:
    """A writer may not classify an object above what they may open themselves."""
    if ctx.is_system:
        return
    refused = refusal(ctx.user, organization_id, requirement(classification, itar=itar))
    if refused is not None:
        raise PermissionDenied(
            f"{refused[1]} You cannot classify an object above your own attestation.", code=ITAR_CODE
        )


def may_open(user: Any, obj: Any, needed: Requirement) -> bool:
    return refusal(user, obj.organization_id, needed) is None
