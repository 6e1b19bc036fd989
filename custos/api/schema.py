"""drf-spectacular hooks."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from custos.api.routing import ALT_SUFFIX, UNDERSCORE_SUFFIX

_ALIASES = (ALT_SUFFIX, UNDERSCORE_SUFFIX)


def _alternate_callbacks_and_routes() -> set[str]:
    found: set[str] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name and entry.name.endswith(_ALIASES):
                found.add(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return found


def drop_alternate_paths(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """Leave the other-slash twin and the underscore alias of each route out of the schema: the same operation."""
    alternates = _alternate_callbacks_and_routes()
    return [endpoint for endpoint in endpoints if endpoint[1] not in alternates]
