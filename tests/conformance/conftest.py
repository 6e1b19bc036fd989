"""The session's live server and API client (see ``live.py``).

Each xdist worker starts its own server (its own CUSTOS_HOME under the worker's tmp dir), so the suite
runs on any number of workers. ``CUSTOS_CONFORMANCE_URL`` (with ``CUSTOS_CONFORMANCE_HOME``, the
server's CUSTOS_HOME, for the mail it writes) runs the suite against a server already started with
the demo data and the staff account of ``live.clean_env`` instead (a quicker loop while editing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conformance.live import DEMO_PASSWORD, ROLES, STAFF_EMAIL, STAFF_PASSWORD, Api, LiveServer


def _logged_in(api: Api) -> Api:
    for role in ROLES:
        api.tokens[role] = api.login(f"{role.lower()}.northwind@example.com", DEMO_PASSWORD)
    api.tokens["OTHER_OWNER"] = api.login("owner.helios@example.com", DEMO_PASSWORD)
    api.tokens["staff"] = api.login(STAFF_EMAIL, STAFF_PASSWORD)
    return api


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Api]:
    running = os.environ.get("CUSTOS_CONFORMANCE_URL")
    if running:
        yield _logged_in(Api(running, Path(os.environ.get("CUSTOS_CONFORMANCE_HOME", "."))))
        return
    home = tmp_path_factory.mktemp("conformance") / "home"
    server = LiveServer(home)
    # Under xdist the workers' base temp dirs share a parent: the demo is loaded once for the run.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    server.prepare(template=shared / "conformance-demo-home")
    server.start()
    try:
        yield _logged_in(Api(server.base, server.home))
    finally:
        server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The live-server tests run when asked for (``custos spec-report --run`` sets ``CUSTOS_CONFORMANCE=1``):
    they take several minutes and wait on real jobs, so ``make test`` runs only the report's own tests."""
    if os.environ.get("CUSTOS_CONFORMANCE") == "1":
        return
    skip = pytest.mark.skip(reason="black-box conformance: run `custos spec-report --run` (CUSTOS_CONFORMANCE=1)")
    for item in items:
        if "live" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)
