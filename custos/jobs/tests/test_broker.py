"""The embedded queue's leases: a message held by a dead consumer comes back; acknowledged ones go."""

from __future__ import annotations

import datetime

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import create_engine, text

import config.celery  # noqa: F401 - installs the ``sqla`` alias


@pytest.fixture
def broker_url(tmp_path):
    return f"sqla+sqlite:///{tmp_path / 'queue.sqlite3'}"


def _rows(url: str) -> list[tuple[int, int]]:
    engine = create_engine(url.removeprefix("sqla+"))
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, visible FROM kombu_message ORDER BY id")).fetchall()
    engine.dispose()
    return [tuple(row) for row in rows]


def _publish(url: str, body: dict) -> None:
    with Connection(url) as connection:
        producer = connection.Producer()
        queue = Queue("work", Exchange("work", type="direct"), routing_key="work")
        producer.publish(body, exchange=queue.exchange, routing_key="work", declare=[queue], serializer="json")


def _consumer(url: str, received: list, *, ack: bool, timeout: float = 60.0):
    connection = Connection(url, transport_options={"visibility_timeout": timeout, "polling_interval": 0.01})
    queue = Queue("work", Exchange("work", type="direct"), routing_key="work")

    def on_message(body, message):
        received.append(body)
        if ack:
            message.ack()

    consumer = connection.Consumer(queue, callbacks=[on_message], accept=["json"])
    consumer.consume()
    return connection, consumer


def _age_leases(url: str, seconds: int) -> None:
    engine = create_engine(url.removeprefix("sqla+"))
    past = datetime.datetime.now() - datetime.timedelta(seconds=seconds)
    with engine.begin() as connection:
        connection.execute(text("UPDATE kombu_message SET timestamp = :t WHERE visible = 0"), {"t": past})
    engine.dispose()


def test_acknowledged_messages_are_deleted(broker_url):
    _publish(broker_url, {"n": 1})
    received: list = []
    connection, _ = _consumer(broker_url, received, ack=True)
    connection.drain_events(timeout=5)
    connection.release()
    assert received == [{"n": 1}]
    assert _rows(broker_url) == []


def test_message_of_a_dead_consumer_is_redelivered_after_its_lease_expires(broker_url):
    _publish(broker_url, {"job": "a"})
    dead: list = []
    dead_connection, _ = _consumer(broker_url, dead, ack=False)
    dead_connection.drain_events(timeout=5)
    dead_connection.default_channel.qos.restore_at_shutdown = False  # a hard kill restores nothing
    assert dead == [{"job": "a"}]
    # The consumer dies hard: no ack, no clean close (its connection object is simply abandoned).
    assert [visible for _id, visible in _rows(broker_url)] == [0]

    survivor: list = []
    connection, _ = _consumer(broker_url, survivor, ack=True, timeout=30)
    with pytest.raises(TimeoutError):  # the lease is still fresh: nothing to take
        connection.drain_events(timeout=0.3)
    assert survivor == []

    _age_leases(broker_url, 31)  # time passes: the dead consumer never renewed its lease
    connection.default_channel.maintain(force=True)
    connection.drain_events(timeout=5)
    assert survivor == [{"job": "a"}]
    connection.release()
    assert _rows(broker_url) == [], "delivered once more, acknowledged, gone"


def test_a_living_consumer_keeps_its_lease(broker_url):
    _publish(broker_url, {"job": "long"})
    holder: list = []
    connection, _ = _consumer(broker_url, holder, ack=False, timeout=30)
    connection.drain_events(timeout=5)
    _age_leases(broker_url, 31)
    connection.default_channel.maintain(force=True)  # renews first, so its own lease is not restored
    assert [visible for _id, visible in _rows(broker_url)] == [0]
    other: list = []
    other_connection, _ = _consumer(broker_url, other, ack=True, timeout=30)
    other_connection.default_channel.maintain(force=True)
    with pytest.raises(TimeoutError):
        other_connection.drain_events(timeout=0.3)
    assert other == []
    other_connection.release()
    connection.release()
