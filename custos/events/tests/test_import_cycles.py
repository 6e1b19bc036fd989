"""The modules that used to import each other no longer do (one direction only)."""

from __future__ import annotations

import grimp
import pytest


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("custos.jobs.services", "custos.jobs.tasks"),
        ("custos.events.relay", "custos.events.socketio_server"),
        ("custos.events.sio", "custos.events.relay"),
    ],
)
def test_no_import_cycle(lower, upper):
    graph = grimp.build_graph("custos")
    assert graph.find_shortest_chain(importer=lower, imported=upper) is None, f"{lower} must not import {upper}"
    assert graph.find_shortest_chain(importer=upper, imported=lower) is not None, f"{upper} uses {lower}"
