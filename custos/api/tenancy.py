"""Which organizations a request may see and which one it writes into."""

from __future__ import annotations

import uuid
from typing import Any

from custos.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from custos.orgs.models import Organization
from custos.orgs.selectors import organization_ids_for_user

ORG_HEADER = "X-Organization"


def _header_org_id(request: Any, member_of: list[Any]) -> Any | None:
    raw = request.headers.get(ORG_HEADER, "").strip()
    if not raw:
        return None
    try:
        wanted: Any = uuid.UUID(raw)
    except ValueError:
        wanted = Organization.objects.filter(slug=raw).values_list("id", flat=True).first()
    if wanted not in member_of:
        # The same answer whether the organization exists or not: nothing is confirmed.
        raise NotFound(f"Organization {raw!r} not found among your organizations.")
    return wanted


def visible_org_ids(request: Any) -> list[Any]:
    """Organizations whose rows this request may read: the ``X-Organization`` one, else all the user's."""
    cached = getattr(request, "_custos_visible_orgs", None)
    if cached is not None:
        return cached
    member_of = organization_ids_for_user(user=request.user)
    chosen = _header_org_id(request, member_of)
    result = [chosen] if chosen is not None else member_of
    request._custos_visible_orgs = result
    return result


def current_organization_id(request: Any) -> Any:
    """The organization a write goes into: from ``X-Organization``, else the user's only one."""
    ids = visible_org_ids(request)
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise PermissionDenied("You do not belong to any organization.")
    raise ValidationFailed(
        f"You belong to several organizations: name one in the {ORG_HEADER} header.",
        code="ORGANIZATION_REQUIRED",
    )
