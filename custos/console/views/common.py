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
