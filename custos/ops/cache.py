"""The embedded mode's cache backend: diskcache's Django backend, whose connections stay open.

``diskcache.DjangoCache`` keeps the cache in SQLite files (WAL) shared by every process of the machine;
``incr`` is one atomic transaction, so counters (rate limits) are exact across processes. Django calls
``close()`` on every cache when a request finishes; for diskcache that closes each SQLite connection,
and closing the last connection to a WAL database checkpoints it and deletes its journal (an fsync, about
30 ms a request). The connections are per thread and per process (diskcache reopens them after a fork),
so this backend keeps them for the thread's life instead; ``close_connections()`` really closes them.
"""

from __future__ import annotations

from typing import Any

from diskcache import DjangoCache


class EmbeddedCache(DjangoCache):  # type: ignore[misc]  # diskcache ships no type information
    def close(self, **kwargs: Any) -> None:
        """Keep the connections open when a request finishes (see the module docstring)."""

    def close_connections(self) -> None:
        """Close this thread's SQLite connections (they reopen on the next use)."""
        super().close()
