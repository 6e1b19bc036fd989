"""The number of SQL queries of every list route is recorded and may not grow with the rows listed.

Every list route of ``config.urls`` (the ``list`` action of a viewset, the collection actions of
``COLLECTION_ACTIONS`` and GET-only views named ``*-list``/``*-collection``) is called as an
organization OWNER with 2 and then 5 rows of its model present (``tests/factories.rows``):

* the two counts differ: the route runs queries per row (N+1), the test fails;
* the count differs from ``tests/query_counts.tsv``: the test fails; a new route has no entry yet.

After a deliberate change, record the new counts with

    UPDATE_QUERY_COUNTS=1 .venv/bin/pytest tests/test_query_counts.py

and commit ``tests/query_counts.tsv`` with the change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import api_client_for, membership, organization, rows, user

COUNTS_FILE = Path(__file__).with_name("query_counts.tsv")
UPDATE = os.environ.get("UPDATE_QUERY_COUNTS") == "1"
FEW, MORE = 2, 5

# Viewset extra actions (detail=False, GET) that answer a collection of rows of the viewset's model.
COLLECTION_ACTIONS = frozenset({"active", "failures", "search", "recent_activity"})

# Routes not measured, with the reason (keyed by URL name).
SKIPPED: dict[str, str] = {}
# Routes measured whose response does not list every new row (the N+1 check still holds), with why.
ROWS_NOT_LISTED: dict[str, str] = {
    "enginel-analysis-jobs-active": "lists running jobs only; the jobs built are PENDING",
    "enginel-analysis-jobs-failures": "a failure report (figures by job type), not the rows",
    "pipeline-dashboard-recent-activity": "three lists of other models (results, alerts, images)",
    "settings-list": "SystemSettings is a singleton: always one row",
    "sqal-ai-training-list": "lists jobs of type sqal.ai.train only; the jobs built are of type 'test'",
}


@dataclass(frozen=True)
class ListRoute:
    name: str  # the URL name
    path: str  # the concrete path called
    model: Any  # the model whose rows it lists (None: unknown)


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns)
        else:
            yield pattern


def list_routes() -> list[ListRoute]:
    found: dict[str, ListRoute] = {}
    for pattern in _walk(get_resolver().url_patterns):
        name = pattern.name or ""
        if not name or name.endswith(("--alt", "--underscore")) or pattern.pattern.regex.groups:
            continue  # aliases of another route; routes with path parameters need an object
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if actions is not None:
            if actions.get("get") not in {"list", *COLLECTION_ACTIONS}:
                continue
        elif not (
            view_class is not None
            and name.endswith(("-list", "-collection"))
            and not any(hasattr(view_class, method) for method in ("post", "put", "patch", "delete"))
        ):
            continue
        found[name] = ListRoute(name, reverse(name), _model_of(view_class))
    return sorted(found.values(), key=lambda route: route.path)


def _model_of(view_class: Any) -> Any:
    """The model a view lists: its queryset's, else its (output) serializer's."""
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view_class, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def recorded_counts() -> dict[str, int]:
    if not COUNTS_FILE.exists():
        return {}
    counts = {}
    for line in COUNTS_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            route, count = line.split("\t")
            counts[route] = int(count)
    return counts


def _count(client: Any, path: str) -> tuple[int, Any]:
    cache.clear()  # no route may look cheaper because an earlier call filled a cache
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return len(queries), response


def measure_all() -> dict[str, int | str]:
    """URL name -> query count, or why it was not measured (SKIPPED reason, bad status, N+1)."""
    results: dict[str, int | str] = {}
    for route in list_routes():
        if route.name in SKIPPED:
            results[route.name] = f"skipped: {SKIPPED[route.name]}"
            continue
        with transaction.atomic():  # each route on its own data
            try:
                results[route.name] = _measure(route)
            except Exception as exc:  # reported with the other problems, not as the first crash
                results[route.name] = f"error: {exc!r}"
            transaction.set_rollback(True)
    return results


def _measure(route: ListRoute) -> int | str:
    org = organization(name="Query Count Org", slug="query-count-org")
    owner = user("owner@querycount.example", organization=org, role="OWNER")
    other = organization()  # a second organization with rows that must not be listed
    membership(user=user(), organization=other, role="OWNER")
    client = api_client_for(owner)
    status = client.get(route.path).status_code
    if status == 403:  # a platform route: measure it as staff who also own the organization
        owner.is_staff = True
        owner.save(update_fields=["is_staff"])
        client = api_client_for(owner)
    if route.model is None:
        return "no model: the view declares no queryset and no model serializer"
    rows(route.model, FEW, organization=org, user=owner)
    _count(client, route.path)  # once unmeasured: first-use work (the settings row created on first read ...)
    few, first = _count(client, route.path)
    if first.status_code != 200:
        return f"status {first.status_code}: {first.content[:200]!r}"
    rows(route.model, MORE - FEW, organization=org, user=owner)
    more, response = _count(client, route.path)
    assert response.status_code == 200, (route.path, response.status_code)
    if few != more:
        return f"N+1: {few} queries with {FEW} rows, {more} with {MORE}"
    if route.name not in ROWS_NOT_LISTED:
        listed = _listed(first.json()), _listed(response.json())
        if listed[1] - listed[0] != MORE - FEW:
            return f"the new rows are not listed ({listed[0]} then {listed[1]} items): the count proves nothing"
    return few


def _listed(body: Any) -> int:
    """The number of items of a list body, whatever the dialect's envelope."""
    if isinstance(body, dict):
        for key in ("results", "items", "data", "logs", "activities"):
            if key in body:
                return _listed(body[key])
        return -1
    return len(body) if isinstance(body, list) else -1


@pytest.mark.django_db
def test_list_routes_have_no_n_plus_1_and_match_the_recorded_counts():
    measured = measure_all()
    problems = {name: result for name, result in measured.items() if isinstance(result, str) and name not in SKIPPED}
    counts = {name: result for name, result in measured.items() if isinstance(result, int)}
    paths = {route.name: route.path for route in list_routes()}
    if UPDATE:  # a route with a problem keeps its recorded count; the problem still fails below
        kept = {name: count for name, count in recorded_counts().items() if name in problems}
        lines = ["# route name\tqueries (UPDATE_QUERY_COUNTS=1 pytest tests/test_query_counts.py rewrites this file)"]
        lines += [f"{name}\t{count}" for name, count in sorted({**kept, **counts}.items(), key=lambda i: paths[i[0]])]
        COUNTS_FILE.write_text("\n".join(lines) + "\n")
    assert not problems, "\n".join(f"{name}: {result}" for name, result in sorted(problems.items()))
    if UPDATE:
        return
    recorded = recorded_counts()
    new = sorted(set(counts) - set(recorded))
    assert not new, (
        f"list routes without a recorded query count: {', '.join(new)}. Record them with "
        "`UPDATE_QUERY_COUNTS=1 .venv/bin/pytest tests/test_query_counts.py` and commit tests/query_counts.tsv."
    )
    changed = {name: (recorded[name], count) for name, count in counts.items() if recorded[name] != count}
    assert not changed, (
        "query counts changed (recorded -> now): "
        + ", ".join(f"{name} ({paths[name]}): {before} -> {after}" for name, (before, after) in sorted(changed.items()))
        + ". If intended, record them with `UPDATE_QUERY_COUNTS=1 .venv/bin/pytest tests/test_query_counts.py`."
    )
    gone = sorted(set(recorded) - set(measured))
    assert not gone, f"recorded routes that no longer exist: {', '.join(gone)}; remove them from {COUNTS_FILE.name}"
