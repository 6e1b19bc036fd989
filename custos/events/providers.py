"""What the Socket.IO server answers with domain data: ``request_data`` kinds and ``dashboard_update``.

``custos.events`` is a core app and never imports a domain module; the domains register their
providers here when Django starts (the twin's ``custos.modules.twin.live``, imported by its AppConfig).

* A data provider answers ``request_data {type, filters}``: it is called in a worker thread as
  ``provider(user=..., organization_ids=[...], filters={...})`` with the caller's active
  organizations, returns JSON-safe data, and raises ``custos.kernel.errors`` exceptions for bad
  filters (``ValidationFailed`` -> ``validation_error``) or unknown objects (``NotFound`` -> ``error``).
* The dashboard provider is called as ``provider(organization_id=...)`` for each organization whose
  ``dashboard_updates`` room has members, and returns the figures sent as ``dashboard_update``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

DataProvider = Callable[..., Any]
DashboardProvider = Callable[..., dict[str, Any]]

KIND = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

_data_providers: dict[str, DataProvider] = {}
_dashboard_provider: list[DashboardProvider] = []


def register_data_provider(kind: str, provider: DataProvider) -> None:
    """Answer ``request_data {type: kind}`` with ``provider`` (registering a kind again replaces it)."""
    if not KIND.match(kind):
        raise ValueError(f"invalid request_data type {kind!r}")
    _data_providers[kind] = provider


def data_provider(kind: Any) -> DataProvider | None:
    return _data_providers.get(kind) if isinstance(kind, str) else None


def data_kinds() -> list[str]:
    return sorted(_data_providers)


def register_dashboard_provider(provider: DashboardProvider) -> None:
    """Compute ``dashboard_update`` with ``provider`` (one provider; registering again replaces it)."""
    _dashboard_provider[:] = [provider]


def dashboard_provider() -> DashboardProvider | None:
    return _dashboard_provider[0] if _dashboard_provider else None
