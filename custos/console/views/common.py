"""Helpers shared by the console views."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from custos.console.state import ConsoleState
from custos.kernel.errors import NotFound, PermissionDenied


def require_organization(request: HttpRequest) -> ConsoleState:
    state: ConsoleState = request.console  # type: ignore[attr-defined]
    if state.current is None:
        raise PermissionDenied("You do not belong to any organization.")
    return state


def parse_uuid(raw: str, *, what: str) -> Any:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound(f"{what} not found.") from None


def one_of(queryset: Any, raw_id: str, *, what: str) -> Any:
    """The row of ``queryset`` (already narrowed to what the console may show) whose primary key is
    ``raw_id``; 404 "<what> not found." for a malformed id or a row outside it."""
    found = queryset.filter(pk=parse_uuid(raw_id, what=what)).first()
    if found is None:
        raise NotFound(f"{what} not found.")
    return found
