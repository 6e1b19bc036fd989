"""URL helpers: every route answers with and without its trailing slash, never by redirect.

``both()`` registers a ``path()`` in its written form and its other slash form; ``DialectRouter`` does
the same for every route a DRF router generates. The other form is named ``<name>--alt`` and left
out of the OpenAPI schema (see ``schema.drop_alternate_paths``). A route that is a route of its own
in another form (``/api/alerts`` of twin vs ``/api/alerts/`` of pipeline) is registered earlier in
``config/urls.py`` and wins, because Django takes the first pattern that matches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, cast

from django.urls import URLPattern, URLResolver, path, re_path
from django.urls.resolvers import ResolverMatch, RoutePattern
from rest_framework.routers import SimpleRouter

ALT_SUFFIX = "--alt"
UNDERSCORE_SUFFIX = "--underscore"


def other_form(route: str) -> str:
    if route.endswith("/"):
        return route[:-1]
    return f"{route}/"


def both(route: str, view: Callable[..., Any], name: str, kwargs: dict[str, Any] | None = None) -> list[URLPattern]:
    """``route`` as written plus its other slash form (``route`` must not be empty)."""
    return [
        path(route, view, kwargs, name=name),
        path(other_form(route), view, kwargs, name=f"{name}{ALT_SUFFIX}"),
    ]


def gather(*areas: Any) -> tuple[list[Any], list[Any]]:
    """A dialect's route table from its area modules, in matching order: (HTTP patterns, WebSocket patterns)."""
    http = [pattern for area in areas for pattern in area.urlpatterns]
    websocket = [pattern for area in areas for pattern in getattr(area, "websocket_urlpatterns", [])]
    return http, websocket


def _toggle_regex(regex: str) -> str:
    body = regex[:-1] if regex.endswith("$") else regex
    return f"{body[:-1]}$" if body.endswith("/") else f"{body}/$"


class DialectRouter(SimpleRouter):
    """A DRF router whose routes also answer in the other slash form (``trailing_slash``: the written one).

    An extra action written with hyphens (``url_path="mark-false-positive"``) also answers with
    underscores (``mark_false_positive``), as the documents' original servers did; the underscore
    route is named ``<name>--underscore`` and, like the other slash form, left out of the schema.
    """

    def __init__(self, *, trailing_slash: bool = True) -> None:
        super().__init__(trailing_slash=trailing_slash)

    def get_routes(self, viewset: Any) -> list[Any]:
        tail = "{trailing_slash}$"
        routes = []
        for route in super().get_routes(viewset):
            routes.append(route)
            head, _, segment = route.url.removesuffix(tail).rpartition("/")
            if route.name and route.url.endswith(tail) and "-" in segment and "{" not in segment:
                underscored = f"{head}/{segment.replace('-', '_')}{tail}"
                routes.append(route._replace(url=underscored, name=f"{route.name}{UNDERSCORE_SUFFIX}"))
        return routes

    def get_urls(self) -> list[URLPattern | URLResolver]:
        urls: list[URLPattern | URLResolver] = []
        # SimpleRouter builds only re_path() patterns (no include()), so each one is a URLPattern.
        for pattern in cast("list[URLPattern]", super().get_urls()):
            urls.append(pattern)
            regex = str(pattern.pattern)
            urls.append(
                re_path(
                    _toggle_regex(regex),
                    pattern.callback,
                    pattern.default_args,
                    name=f"{pattern.name}{ALT_SUFFIX}" if pattern.name else None,
                )
            )
        return urls


class RememberingResolver(URLResolver):
    """A route table that remembers which route each path matched.

    Django tries a table's patterns in order on every request: a route of the last dialect is found
    after some 225 failed regular expressions, about 40 % of what the liveness route costs. Which route a
    path matches depends only on the path and the table, and the table does not change while the process
    runs, so a remembered match is the match Django would find again. Only matches are remembered (a 404
    is looked up each time, so scanning random paths cannot fill the memory); ``maxsize`` bounds it.
    """

    def __init__(self, patterns: Sequence[Any], maxsize: int = 4096) -> None:
        super().__init__(RoutePattern(""), list(patterns))
        self._remembered = functools.lru_cache(maxsize=maxsize)(self._resolve_once)

    def _resolve_once(self, path: str) -> ResolverMatch:
        match = super().resolve(path)
        # ``tried`` lists every pattern that failed before the match (hundreds; Django's debug 404 page
        # reads it, and only for a path that matched nothing): keep just the matching chain, or the
        # enclosing resolver would copy the whole list again on every request.
        match.tried = (match.tried or [])[-1:]
        return match

    def resolve(self, path: Any) -> ResolverMatch:
        return self._remembered(str(path))
