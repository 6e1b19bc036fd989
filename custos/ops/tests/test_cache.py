"""The embedded cache (``custos.ops.cache.EmbeddedCache``): counters exact across processes, connections
kept when a request finishes. Embedded mode only (the scaled mode's cache is Redis)."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest
from django.core.cache import cache, caches, close_caches

from custos.ops.cache import EmbeddedCache
from custos.ops.throttles import _count

pytestmark = pytest.mark.skipif(
    not isinstance(caches["default"], EmbeddedCache), reason="the embedded cache backend (no REDIS_URL)"
)

KEY = "custos:test:cache:shared-counter"
PER_PROCESS = 150


def _count_many(start: float) -> None:
    while time.time() < start:  # the children count at the same time
        time.sleep(0.001)
    for _ in range(PER_PROCESS):
        _count(KEY, 600)
    os._exit(0)  # no pytest or Django teardown in the forked child


def test_counts_of_several_processes_at_once_are_all_kept():
    cache.delete(KEY)
    context = multiprocessing.get_context("fork")
    start = time.time() + 0.5
    children = [context.Process(target=_count_many, args=(start,)) for _ in range(3)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0, 0, 0]
    assert cache.get(KEY) == 3 * PER_PROCESS
    assert _count(KEY, 600) == 3 * PER_PROCESS + 1


def test_a_new_window_starts_at_one_and_an_expired_counter_starts_again():
    cache.delete(KEY)
    assert [_count(KEY, 600) for _ in range(3)] == [1, 2, 3]
    cache.set(KEY, 3, timeout=0)  # expired at once
    assert _count(KEY, 600) == 1


def test_connections_stay_open_when_a_request_finishes_and_close_only_on_demand():
    cache.set(KEY, 1, timeout=60)
    shards = caches["default"]._cache._shards
    for shard in shards:
        shard.get(KEY)  # every shard's connection of this thread is open
    opened = [shard._local.con for shard in shards]
    close_caches()  # what Django runs on request_finished for every cache
    assert [shard._local.con for shard in shards] == opened
    caches["default"].close_connections()
    assert [getattr(shard._local, "con", None) for shard in shards] == [None] * len(shards)
    assert cache.get(KEY) == 1  # reopened on use
