"""The process's fan-out of ``sensor_update`` (``consumers.LiveHub``): once per sample whatever path brings
it, only to the sample's organization, filtered per dashboard, and a dashboard that does not read only
loses its own updates."""

from __future__ import annotations

import asyncio
import json

from custos.modules.quality.consumers import OUTBOX_SIZE, LiveHub, RealtimeConsumer
from custos.modules.quality.tests.helpers import run


def _dashboard(org: str, **filters) -> RealtimeConsumer:
    consumer = RealtimeConsumer()
    consumer.org_ids = [org]
    consumer.filters = {"device_ids": None, "grades": None, "min_score": None, **filters}
    consumer.outbox = asyncio.Queue(maxsize=OUTBOX_SIZE)
    consumer.dropped = 0
    return consumer


def _payload(sample: str, grade: str = "A+", device: str = "SQAL_001") -> dict:
    return {
        "id": sample,
        "device_id": device,
        "sample_id": sample,
        "fusion": {"final_grade": grade, "final_score": 0.9},
    }


def _texts(consumer: RealtimeConsumer) -> list[dict]:
    texts = []
    while not consumer.outbox.empty():
        texts.append(json.loads(consumer.outbox.get_nowait()))
    return texts


def test_once_per_sample_per_organization_filtered_and_a_stuck_dashboard_alone_loses():
    async def scenario():
        hub = LiveHub()
        hub.loop = asyncio.get_running_loop()
        north, north_rejects, helios = _dashboard("org-a"), _dashboard("org-a", grades={"REJECT"}), _dashboard("org-b")
        stuck = _dashboard("org-a")
        for _ in range(OUTBOX_SIZE):
            stuck.outbox.put_nowait("old")
        hub.feeds = {"org-a": ("ch-a", None, {north, north_rejects, stuck}), "org-b": ("ch-b", None, {helios})}
        hub.local("org-a", _payload("s1"))
        hub.dispatch("org-a", _payload("s1"))  # the relay's copy of the same sample
        hub.dispatch("org-a", _payload("s2", grade="REJECT"))
        return _texts(north), _texts(north_rejects), _texts(helios), stuck.dropped, stuck.outbox.qsize()

    north, rejects, helios, dropped, stuck_size = run(scenario)
    assert [(m["type"], m["sample_id"]) for m in north] == [("sensor_update", "s1"), ("sensor_update", "s2")]
    assert [m["sample_id"] for m in rejects] == ["s2"]
    assert helios == []
    assert (dropped, stuck_size) == (2, OUTBOX_SIZE)
    assert north[0] == {"type": "sensor_update", **_payload("s1")}
