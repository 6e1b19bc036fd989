"""The organization a request is in, for attestations: the one named by ``X-Organization``.

A member may name one of their organizations, platform staff any organization; anything else is a 404
(the same whether the organization exists or not). Without the header there is no explicit
organization: user responses then show the attestation of the user's only (visible) membership, and
attestation writes go to the only organization the writer shares with the user.
"""

from __future__ import annotations

from typing import Any

from custos.api.tenancy import ORG_HEADER
from custos.kernel.errors import NotFound
from custos.orgs.selectors import organization_id_named


def organization_in_context(request: Any) -> Any | None:
    """The organization named by the request's ``X-Organization`` header, or ``None`` without it."""
    if hasattr(request, "_custos_context_org"):
        return request._custos_context_org
    raw = request.headers.get(ORG_HEADER, "").strip()
    chosen = None
    if raw:
        chosen = organization_id_named(viewer=request.user, raw=raw)
        if chosen is None:
            raise NotFound(f"Organization {raw!r} not found among your organizations.")
    request._custos_context_org = chosen
    return chosen
