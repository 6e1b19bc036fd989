"""The embedded job queue: kombu's SQLAlchemy transport on a SQLite file, tuned for SQLite.

Installed under the ``sqla`` alias by ``config/celery.py``, so the documented broker URL
``sqla+sqlite:///…/queue.sqlite3`` uses it. Differences from the stock transport:

* ``polling_interval`` is a channel setting, not an engine argument (the stock transport passes every
  transport option to ``create_engine``, which rejects it);
* every connection uses WAL and waits for locks (``busy_timeout``) instead of failing at once, since
  the server and the worker write the same file;
* **messages are leased, not lost.** The stock transport marks a fetched message invisible and never
  looks at it again: acknowledged messages pile up, and the message of a worker killed mid-task (acks
  are late) stays invisible for ever, so its job is lost. Here a fetched message's timestamp is the
  start of its lease; the consuming channel renews the leases of the messages it holds unacknowledged
  while it polls, deletes a message when it is acknowledged or rejected, and makes visible again every
  message whose lease is older than ``visibility_timeout`` (default 60 s, transport option or
  ``CUSTOS_QUEUE_VISIBILITY_TIMEOUT``): a living worker renews its leases every poll, a dead one
  cannot, so its messages are redelivered to the next worker (Redis's transport works the same way).
"""

from __future__ import annotations

import datetime
import threading
import time
from collections import deque
from queue import Empty
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

DEFAULT_VISIBILITY_TIMEOUT = 60.0

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
    "visibility_timeout",
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _now() -> datetime.datetime:
    # The stock model stamps ``timestamp`` with naive local time (``datetime.now``); leases use the same clock.
    return datetime.datetime.now()


class Channel(kombu_sqla.Channel):
    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        options = connection.client.transport_options
        self.visibility_timeout = float(options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT))
        self._leases: dict[str, int] = {}  # delivery tag -> message row id, for messages we hold
        # Acks may come from another thread (the worker's result handler); the SQLAlchemy session is
        # not thread-safe, so they only queue the row here and the consuming thread deletes it.
        self._finished: deque[int] = deque()
        self._last_maintenance = 0.0

    def _engine_from_config(self):
        conninfo = self.connection.client
        options = {k: v for k, v in conninfo.transport_options.items() if k not in _CHANNEL_ONLY_OPTIONS}
        engine = create_engine(conninfo.hostname, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    # --- leases -----------------------------------------------------------------------------------

    # kombu's SQLAlchemy Channel (the real base) defines ``_get(self, queue)``; the typed signature is
    # the abstract virtual channel's.
    def _get(self, queue: str) -> dict[str, Any]:  # type: ignore[override]
        obj = self._get_or_create(queue)
        if self.session.bind.name == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            msg = (
                self.session.query(self.message_cls)
                .with_for_update(skip_locked=True)
                .filter(self.message_cls.queue_id == obj.id)
                .filter(self.message_cls.visible != False)  # noqa: E712 - SQL expression
                .order_by(self.message_cls.sent_at)
                .order_by(self.message_cls.id)
                .limit(1)
                .first()
            )
            if not msg:
                raise Empty()
            msg.visible = False  # the update stamps ``timestamp``: the lease starts now
            payload = loads(bytes_to_str(msg.payload))
            tag = payload.get("properties", {}).get("delivery_tag")
            if tag:
                self._leases[tag] = msg.id
            return payload
        finally:
            self.session.commit()

    def _delete_leased(self, delivery_tag: str) -> None:
        row_id = self._leases.pop(delivery_tag, None)
        if row_id is not None:
            self._finished.append(row_id)
            self.connection.wake_up()

    def delete_finished(self) -> None:
        """Delete the rows of acknowledged/rejected messages (in the consuming thread)."""
        rows = []
        while self._finished:
            rows.append(self._finished.popleft())
        if not rows:
            return
        table = self.message_cls.__table__
        try:
            self.session.execute(table.delete().where(table.c.id.in_(rows)))
            self.session.commit()
        except OperationalError:
            self.session.rollback()  # left invisible: restored after the timeout, then skipped (idempotent)

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple=multiple)
        self._delete_leased(delivery_tag)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue=requeue)  # a requeue puts a fresh copy first
        self._delete_leased(delivery_tag)

    def close(self) -> None:
        if self._session is not None:
            self.delete_finished()
        super().close()

    def _restore(self, message: Any) -> None:
        # Unacknowledged messages put back at shutdown (or on reject): a fresh copy replaces the leased row.
        super()._restore(message)
        self._delete_leased(message.delivery_tag)

    def renew_leases(self) -> None:
        """Push forward the lease of every message this channel holds unacknowledged."""
        if not self._leases:
            return
        table = self.message_cls.__table__
        try:
            self.session.execute(
                table.update().where(table.c.id.in_(list(self._leases.values()))).values(timestamp=_now())
            )
            self.session.commit()
        except OperationalError:
            self.session.rollback()

    def restore_expired(self) -> int:
        """Make visible again the messages whose lease ran out (their consumer died); returns how many."""
        table = self.message_cls.__table__
        cutoff = _now() - datetime.timedelta(seconds=self.visibility_timeout)
        mine = list(self._leases.values())
        statement = table.update().where(table.c.visible == False, table.c.timestamp < cutoff)  # noqa: E712
        if mine:
            statement = statement.where(table.c.id.not_in(mine))
        try:
            restored = self.session.execute(statement.values(visible=True)).rowcount
            self.session.commit()
        except OperationalError:
            self.session.rollback()
            return 0
        return restored or 0

    def maintain(self, *, force: bool = False) -> None:
        """Renew our leases and restore expired ones, at most every third of the visibility timeout."""
        now = time.monotonic()
        if not force and now - self._last_maintenance < self.visibility_timeout / 3:
            return
        self._last_maintenance = now
        self.renew_leases()
        self.restore_expired()

    def drain_events(self, timeout: float | None = None, callback: Any = None) -> Any:
        self.delete_finished()
        if self._consumers:
            self.maintain()
        return super().drain_events(timeout=timeout, callback=callback)


class Transport(kombu_sqla.Transport):
    """Polls every ``polling_interval`` while the queue is empty, but at once after an ack: a worker
    whose prefetch window is full would otherwise wait out a whole interval before its next job."""

    Channel = Channel

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._wakeup = threading.Event()

    def wake_up(self) -> None:
        self._wakeup.set()

    # The virtual Transport (the real base) defines ``drain_events(self, connection, timeout=None)``;
    # the typed signature is the abstract base Transport's ``**kwargs``.
    def drain_events(self, connection: Any, timeout: float | None = None) -> None:  # type: ignore[override]
        started = time.monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        while True:
            try:
                # kombu declares ``cycle = None`` on the class; its __init__ sets the FairCycle.
                self.cycle.get(self._deliver, timeout=timeout)  # type: ignore[attr-defined]
                return
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise TimeoutError() from None
                if interval is not None:
                    self._wakeup.wait(interval)
                    self._wakeup.clear()
