"""The embedded database backend: django-prometheus's query metrics, its cursor class built once."""

from __future__ import annotations

import pytest
from django.db import connection, connections
from prometheus_client import REGISTRY

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded (SQLite) backend")


def executed() -> float:
    value = REGISTRY.get_sample_value(
        "django_db_execute_total", {"alias": connection.alias, "vendor": connection.vendor}
    )
    return value or 0.0


@sqlite_only
def test_every_query_is_counted_and_every_cursor_shares_one_class():
    before = executed()
    classes = set()
    for value in (1, 2, 3):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [value])
            assert cursor.fetchone() == (value,)
            classes.add(type(cursor.cursor))
    assert executed() - before == 3
    assert len(classes) == 1
    assert type(connections[connection.alias]).__module__ == "custos.ops.db.sqlite3.base"
