"""Spec coverage can only grow: every route in ``spec_routes_done.tsv`` must be served, and every served
route must be listed there (so the list, and the printed figures, stay honest)."""

from __future__ import annotations

import pytest

from tests.spec_coverage import coverage, done_routes, endpoints_file, is_served, spec_routes


@pytest.fixture(scope="module")
def routes():
    if not endpoints_file().exists():
        pytest.skip(f"the specs are not beside this checkout ({endpoints_file()}); set CUSTOS_SHARED_DIR")
    return spec_routes()


def test_every_route_marked_done_is_served(routes):
    spec_keys = {route.key() for route in routes}
    done = done_routes()
    unknown = [route.key() for route in done if route.key() not in spec_keys]
    assert not unknown, f"not routes of the specs: {unknown}"
    missing = [route.key() for route in done if not is_served(route)]
    assert not missing, f"marked done but not served: {missing}"


def test_every_served_route_is_marked_done(routes):
    done = {route.key() for route in done_routes()}
    unlisted = [route.key() for route in routes if is_served(route) and route.key() not in done]
    assert not unlisted, f"served but missing from tests/spec_routes_done.tsv: {unlisted}"


def test_report_coverage(routes, capsys):
    table = coverage()
    with capsys.disabled():
        print("\nspec coverage (served/total):", ", ".join(f"{d} {s}/{t}" for d, (s, t) in table.items()))
    assert sum(total for _served, total in table.values()) == len(routes)
