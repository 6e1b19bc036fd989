"""The embedded job queue: kombu's SQLAlchemy transport on a SQLite file, tuned for SQLite.

Installed under the ``sqla`` alias by ``config/celery.py``, so the documented broker URL
``sqla+sqlite:///…/queue.sqlite3`` uses it. Differences from the stock transport:

* ``polling_interval`` is a channel setting, not an engine argument (the stock transport passes every
  transport option to ``create_engine``, which rejects it);
* every connection uses WAL and waits for locks (``busy_timeout``) instead of failing at once, since
  the server and the worker write the same file.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import create_engine, event

_CHANNEL_ONLY_OPTIONS = (
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
    "polling_interval",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(kombu_sqla.Channel):
    def _engine_from_config(self):
        conninfo = self.connection.client
        options = {k: v for k, v in conninfo.transport_options.items() if k not in _CHANNEL_ONLY_OPTIONS}
        engine = create_engine(conninfo.hostname, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine


class Transport(kombu_sqla.Transport):
    Channel = Channel
