"""The route table's remembering resolver finds exactly what Django's own resolution finds."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from config.urls import routes
from custos.api.routing import RememberingResolver

SAMPLE_PATHS = (
    "api/health/",
    "api/health",
    "api/pipelines/",
    "api/pipelines/3f0c3c1e-58c4-4a4e-9d55-0d6bd3f0a001/",
    "api/alerts",  # the twin's slash-less route, registered before the pipeline dialect's
    "api/alerts/",
    "api/analysis/history/",
    "api/designs/3f0c3c1e-58c4-4a4e-9d55-0d6bd3f0a001/",
    "api/auth/users/me/",
    "admin/",
    "console/",
)


def _every_plain_route() -> list[str]:
    """The literal routes of the table (no converters): one path per route Django knows."""
    found: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            text = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if text and not text.isprintable():
                    continue
                walk(pattern.url_patterns, prefix + text)
            elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern) and "<" not in text:
                found.append(prefix + text)

    walk(routes, "")
    return found


def _same(left, right) -> None:
    assert (left.func, left.args, left.kwargs, left.url_name, left.route, left.namespaces, left.app_names) == (
        right.func,
        right.args,
        right.kwargs,
        right.url_name,
        right.route,
        right.namespaces,
        right.app_names,
    )


def test_every_route_resolves_as_django_resolves_it_first_and_second_time():
    plain = URLResolver(RoutePattern(""), list(routes))
    remembering = RememberingResolver(routes)
    paths = [*SAMPLE_PATHS, *_every_plain_route()]
    assert len(paths) > 150
    for path in paths:
        try:
            expected = plain.resolve(path)
        except Resolver404:
            with pytest.raises(Resolver404):
                remembering.resolve(path)
            continue
        _same(remembering.resolve(path), expected)  # looked up
        _same(remembering.resolve(path), expected)  # remembered
    assert remembering._remembered.cache_info().hits >= len(paths) - 20


def test_a_path_matching_nothing_is_not_remembered():
    remembering = RememberingResolver(routes)
    for index in range(50):
        with pytest.raises(Resolver404) as raised:
            remembering.resolve(f"no/such/route/{index}/")
        assert raised.value.args[0]["tried"]  # Django's own 404 detail, still complete
    assert remembering._remembered.cache_info().currsize == 0


def test_memory_is_bounded_by_maxsize():
    remembering = RememberingResolver(routes, maxsize=8)
    for index in range(40):
        remembering.resolve(f"api/pipelines/3f0c3c1e-58c4-4a4e-9d55-0d6bd3f0{index:04d}/")
    assert remembering._remembered.cache_info().currsize == 8


def test_the_project_resolver_is_the_remembering_one_and_kwargs_are_not_shared():
    root = get_resolver()
    assert isinstance(root.url_patterns[0], RememberingResolver)
    path = "/api/pipelines/3f0c3c1e-58c4-4a4e-9d55-0d6bd3f0a001/"
    first = root.resolve(path)
    first.kwargs["pk"] = "changed by a caller"
    second = root.resolve(path)
    assert second.kwargs == {"pk": "3f0c3c1e-58c4-4a4e-9d55-0d6bd3f0a001"}
