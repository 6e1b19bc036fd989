"""``custos spec-report``: how many documented routes Custos serves, and how many pass conformance.

* covered/total per dialect: routes listed in ``tests/spec_routes_done.tsv`` against the routes of
  ``specs/endpoints.tsv`` (``CUSTOS_SHARED_DIR``);
* with ``--run``, passing/total per dialect from the black-box conformance suite (``tests/conformance``)
  run in this process by pytest with a plugin that collects one outcome per route, and each failing
  route with its reason.

The counting functions are pure (routes in, figures out) so they are tested on constructed tables; the
conformance suite reads the routes through :func:`read_routes` too, so both count the same rows.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DONE_FILE = ROOT / "tests" / "spec_routes_done.tsv"
SUITE_DIR = ROOT / "tests" / "conformance"
DIALECTS = ("pipeline", "access", "twin", "enginel", "sqal")


@dataclass(frozen=True, order=True)
class Route:
    dialect: str
    method: str
    path: str

    def key(self) -> str:
        return f"{self.dialect}\t{self.method}\t{self.path}"

    def label(self) -> str:
        return f"{self.dialect} {self.method} {self.path}"


@dataclass(frozen=True)
class Outcome:
    """The conformance result of one route: passed, or the reason it did not."""

    route: Route
    passed: bool
    reason: str = ""


@dataclass
class Tally:
    counts: dict[str, list[int]] = field(default_factory=dict)

    def add(self, dialect: str, hit: bool) -> None:
        row = self.counts.setdefault(dialect, [0, 0])
        row[0] += int(hit)
        row[1] += 1

    def figures(self) -> dict[str, tuple[int, int]]:
        ordered = [d for d in DIALECTS if d in self.counts] + sorted(set(self.counts) - set(DIALECTS))
        return {d: (self.counts[d][0], self.counts[d][1]) for d in ordered}


def endpoints_file() -> Path:
    """``specs/endpoints.tsv`` beside the checkout, or under ``CUSTOS_SHARED_DIR``."""

    shared = os.environ.get("CUSTOS_SHARED_DIR") or str(ROOT.parent / "shared")
    return Path(shared) / "specs" / "endpoints.tsv"


def parse_routes(text: str) -> list[Route]:
    """Routes of a tab-separated table (dialect, method, path[, note]); ``#`` comments and the
    ``dialect`` header line are skipped. A malformed line is an error naming it."""
    routes: list[Route] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if cells[0] == "dialect":
            continue
        if len(cells) < 3 or not all(cell.strip() for cell in cells[:3]):
            raise ValueError(f"line {number}: expected dialect, method and path separated by tabs: {line!r}")
        routes.append(Route(cells[0].strip(), cells[1].strip().upper(), cells[2].strip()))
    return routes


def read_routes(path: Path) -> list[Route]:
    return parse_routes(path.read_text(encoding="utf-8"))


def coverage(spec: Sequence[Route], done: Iterable[Route]) -> dict[str, tuple[int, int]]:
    """covered/total per dialect: a spec route counts once, covered when it is in ``done``."""
    done_keys = set(done)
    tally = Tally()
    for route in dict.fromkeys(spec):
        tally.add(route.dialect, route in done_keys)
    return tally.figures()


def unknown_routes(spec: Sequence[Route], done: Iterable[Route]) -> list[Route]:
    """Routes of the done list that are not routes of the specs (a typo, or a route since renamed)."""
    spec_keys = set(spec)
    return sorted({route for route in done if route not in spec_keys})


def passing(spec: Sequence[Route], outcomes: Mapping[Route, Outcome]) -> dict[str, tuple[int, int]]:
    """passing/total per dialect; a route with no outcome (not run: not served) does not pass."""
    tally = Tally()
    for route in dict.fromkeys(spec):
        outcome = outcomes.get(route)
        tally.add(route.dialect, outcome is not None and outcome.passed)
    return tally.figures()


def _line(title: str, figures: Mapping[str, tuple[int, int]]) -> str:
    hits = sum(hit for hit, _ in figures.values())
    total = sum(total for _, total in figures.values())
    parts = ", ".join(f"{dialect} {hit}/{count}" for dialect, (hit, count) in figures.items())
    return f"{title}: {hits}/{total}  ({parts})"


def format_report(spec: Sequence[Route], done: Sequence[Route], outcomes: Mapping[Route, Outcome] | None = None) -> str:
    lines = [_line("served (tests/spec_routes_done.tsv)", coverage(spec, done))]
    unknown = unknown_routes(spec, done)
    if unknown:
        lines.append(f"not routes of the specs ({len(unknown)}): " + "; ".join(r.label() for r in unknown))
    if outcomes is not None:
        lines.append(_line("passing (conformance suite)", passing(spec, outcomes)))
        failing = sorted((o for o in outcomes.values() if not o.passed), key=lambda o: o.route)
        done_keys = set(done)
        not_run = [r for r in dict.fromkeys(spec) if r in done_keys and r not in outcomes]
        if failing or not_run:
            lines.append("failing:")
            lines.extend(f"  {o.route.label()}: {o.reason}" for o in failing)
            lines.extend(f"  {r.label()}: not run" for r in not_run)
    return "\n".join(lines)


# --- Running the conformance suite --------------------------------------------------------------


class OutcomeCollector:
    """A pytest plugin: one :class:`Outcome` per route from the tests' ``route`` user property."""

    def __init__(self) -> None:
        self.outcomes: dict[Route, Outcome] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        props = dict(report.user_properties)
        key = props.get("route")
        if not key:
            return
        route = Route(*key.split("\t"))
        if report.when == "call" or report.failed or report.skipped:
            if report.passed and report.when == "call":
                self.outcomes.setdefault(route, Outcome(route, True))
                return
            if report.passed:
                return
            reason = _reason(report)
            previous = self.outcomes.get(route)
            if previous is None or previous.passed:
                self.outcomes[route] = Outcome(route, False, reason)


def _reason(report: Any) -> str:
    if hasattr(report, "wasxfail"):
        return f"known failure: {report.wasxfail}"
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    first = " ".join(text.strip().split("\n")[:3])
    return first[:300]


def run_conformance(extra_args: Sequence[str] = ()) -> tuple[int, dict[Route, Outcome]]:
    """Run the conformance suite (pytest with two xdist workers, driven from this process); pytest's exit
    code and the outcome per route (the workers' reports reach this process's plugin)."""
    import pytest

    collector = OutcomeCollector()
    os.environ["CUSTOS_CONFORMANCE"] = "1"  # the suite's live tests run only when asked for (its conftest)
    args = [
        str(SUITE_DIR),
        "--rootdir",
        str(ROOT),
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",  # each xdist worker starts its own server (tests/conformance/conftest.py)
        "--no-header",
        *extra_args,
    ]
    code = pytest.main(args, plugins=[collector])
    return int(code), collector.outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="custos spec-report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="store_true", help="run the conformance suite against a live server")
    parser.add_argument("-k", dest="select", default="", help="only routes matching this pytest -k expression")
    args = parser.parse_args(argv)
    spec_file = endpoints_file()
    if not spec_file.exists():
        print(f"custos: {spec_file} not found (set CUSTOS_SHARED_DIR)", file=sys.stderr)
        return 2
    spec = read_routes(spec_file)
    done = read_routes(DONE_FILE)
    outcomes = None
    code = 0
    if args.run:
        code, outcomes = run_conformance(["-k", args.select] if args.select else [])
    print(format_report(spec, done, outcomes))
    if outcomes is not None:
        served_failing = [o for o in outcomes.values() if not o.passed and not o.reason.startswith("known failure")]
        return 1 if served_failing or code not in (0, 5) else 0
    return 0
