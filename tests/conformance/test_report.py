"""The counting of ``custos spec-report`` on small constructed tables (exact figures)."""

from __future__ import annotations

import pytest

from custos.ops.spec_report import (
    Outcome,
    OutcomeCollector,
    Route,
    coverage,
    format_report,
    parse_routes,
    passing,
    unknown_routes,
)

SPEC = (
    "dialect\tmethod\tpath\tnote\n"
    "pipeline\tGET\t/api/pipelines/\t\n"
    "pipeline\tPOST\t/api/pipelines/\t\n"
    "pipeline\tGET\t/api/pipelines/{id}/\t\n"
    "twin\tGET\t/api/devices\t\n"
    "twin\tWS\t/socket.io/\tSocket.IO\n"
    "sqal\tGET\t/api/bugs/\t\n"
)
DONE = "# served\npipeline\tGET\t/api/pipelines/\npipeline\tget\t/api/pipelines/{id}/\ntwin\tWS\t/socket.io/\n"


def test_parse_skips_the_header_and_comments_and_upper_cases_methods():
    done = parse_routes(DONE)
    assert done == [
        Route("pipeline", "GET", "/api/pipelines/"),
        Route("pipeline", "GET", "/api/pipelines/{id}/"),
        Route("twin", "WS", "/socket.io/"),
    ]
    assert len(parse_routes(SPEC)) == 6


def test_a_malformed_line_names_itself():
    with pytest.raises(ValueError, match=r"line 2: expected dialect, method and path"):
        parse_routes("pipeline\tGET\t/a/\npipeline GET /b/\n")


def test_coverage_counts_each_spec_route_once_per_dialect():
    spec = parse_routes(SPEC + "sqal\tGET\t/api/bugs/\t\n")  # a repeated line counts once
    figures = coverage(spec, parse_routes(DONE))
    assert figures == {"pipeline": (2, 3), "twin": (1, 2), "sqal": (0, 1)}
    assert list(figures) == ["pipeline", "twin", "sqal"]  # the dialects in the documents' order


def test_routes_of_the_done_list_not_in_the_specs_are_reported():
    done = parse_routes(DONE + "sqal\tGET\t/api/bug/\n")
    assert unknown_routes(parse_routes(SPEC), done) == [Route("sqal", "GET", "/api/bug/")]
    assert coverage(parse_routes(SPEC), done)["sqal"] == (0, 1)


def test_passing_counts_routes_with_a_passing_outcome():
    spec = parse_routes(SPEC)
    first, second, third = spec[0], spec[2], spec[3]
    outcomes = {
        first: Outcome(first, True),
        second: Outcome(second, False, "answered 500"),
        third: Outcome(third, True),
    }
    assert passing(spec, outcomes) == {"pipeline": (1, 3), "twin": (1, 2), "sqal": (0, 1)}


def test_format_report_lists_failing_and_not_run_routes():
    spec = parse_routes(SPEC)
    done = parse_routes(DONE)
    outcomes = {spec[0]: Outcome(spec[0], True), spec[2]: Outcome(spec[2], False, "answered 500")}
    text = format_report(spec, done, outcomes)
    assert text.splitlines() == [
        "served (tests/spec_routes_done.tsv): 3/6  (pipeline 2/3, twin 1/2, sqal 0/1)",
        "passing (conformance suite): 1/6  (pipeline 1/3, twin 0/2, sqal 0/1)",
        "failing:",
        "  pipeline GET /api/pipelines/{id}/: answered 500",
        "  twin WS /socket.io/: not run",
    ]


class _Report:
    def __init__(self, when, outcome, key, longrepr=None):
        self.when = when
        self.passed = outcome == "passed"
        self.failed = outcome == "failed"
        self.skipped = outcome == "skipped"
        self.user_properties = [("route", key)] if key else []
        self.longrepr = longrepr


class _Crash:
    def __init__(self, message):
        self.reprcrash = type("Crash", (), {"message": message})()


def test_collector_keeps_one_outcome_per_route_and_the_first_failure():
    collector = OutcomeCollector()
    key = "twin\tGET\t/api/devices"
    collector.pytest_runtest_logreport(_Report("setup", "passed", key))
    collector.pytest_runtest_logreport(_Report("call", "failed", key, _Crash("AssertionError: answered 404")))
    collector.pytest_runtest_logreport(_Report("teardown", "failed", key, _Crash("teardown broke")))
    collector.pytest_runtest_logreport(_Report("call", "passed", "sqal\tGET\t/api/bugs/"))
    collector.pytest_runtest_logreport(_Report("call", "passed", None))  # not a conformance test
    route = Route("twin", "GET", "/api/devices")
    assert collector.outcomes == {
        route: Outcome(route, False, "AssertionError: answered 404"),
        Route("sqal", "GET", "/api/bugs/"): Outcome(Route("sqal", "GET", "/api/bugs/"), True),
    }
