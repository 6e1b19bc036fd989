"""SQLite with django-prometheus's query metrics (``django_db_*``), its cursor class built once.

django-prometheus's SQLite backend builds a new cursor class (``ExportingCursorWrapper``) for every
cursor it opens: a class creation per query, about 20 µs each (several per request). The class depends
only on the cursor class, the alias and the vendor, so it is built once per combination here; the
metrics it records are the same.
"""

from __future__ import annotations

import functools
from typing import Any

from django_prometheus.db.backends.sqlite3 import base
from django_prometheus.db.common import ExportingCursorWrapper

DatabaseFeatures = base.DatabaseFeatures


@functools.cache
def instrumented_cursor_class(cursor_class: type, alias: str, vendor: str) -> Any:
    return ExportingCursorWrapper(cursor_class, alias, vendor)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: Any = None) -> Any:
        return self.connection.cursor(factory=instrumented_cursor_class(self.CURSOR_CLASS, self.alias, self.vendor))
