"""Schema only PostgreSQL has (a trigger, a BRIN index), declared in a migration as one operation that
does nothing on SQLite, the embedded database."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    """``forward`` when the migration is applied on PostgreSQL, ``backward`` when it is unapplied there;
    nothing on any other database."""
    return migrations.RunPython(_on_postgresql(forward), _on_postgresql(backward))
