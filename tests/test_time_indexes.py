"""The BRIN indexes on the time-series tables (migrations devices/0006 and quality/0003).

On PostgreSQL each of ``devices_reading`` and ``quality_qualitysample`` has a BRIN index on
``timestamp`` (``pages_per_range = 32, autosummarize = on``) that serves a time window across devices;
SQLite has no BRIN, and the migrations leave it exactly as it was. The PostgreSQL tests run with
``DATABASE_URL=postgres://...``; the SQLite ones in the embedded run. The figures are in
docs/deployment.md ("Time-series indexes").
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from custos.devices.models import Reading
from custos.modules.quality.models import QualitySample

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="BRIN is PostgreSQL's")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="what the migrations leave on SQLite")

READINGS = importlib.import_module("custos.devices.migrations.0006_reading_timestamp_brin")
SAMPLES = importlib.import_module("custos.modules.quality.migrations.0003_sample_timestamp_brin")
# (migration module, model, index name)
CASES = [(READINGS, Reading, "reading_ts_brin"), (SAMPLES, QualitySample, "quality_sample_ts_brin")]
IDS = ["readings", "samples"]
OPTIONS = ["pages_per_range=32", "autosummarize=on"]


class Recorder:
    """A schema editor that keeps the SQL it is given instead of running it."""

    def __init__(self) -> None:
        self.connection = connection
        self.executed: list[str] = []

    def execute(self, sql: str, params: Any = ()) -> None:
        self.executed.append(sql)


def steps(migration: Any) -> tuple[Any, Any]:
    """The forward and backward functions of the migration's one operation."""
    (operation,) = migration.Migration.operations
    return operation.code, operation.reverse_code


def brin_index(name: str) -> list[tuple[str, str, str, list[str]]]:
    """(table, access method, indexed column, options) of the index ``name``: one row per column."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.relname, am.amname, a.attname, c.reloptions
               FROM pg_class c
               JOIN pg_am am ON am.oid = c.relam
               JOIN pg_index i ON i.indexrelid = c.oid
               JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
               WHERE c.relname = %s""",
            [name],
        )
        return [(table, method, column, list(options or [])) for table, method, column, options in cursor.fetchall()]


def fill_in_time_order(org: Any, *, devices: int = 10, rows: int = 20_000, days: int = 50) -> datetime:
    """``rows`` readings and as many samples over ``devices`` devices, one every ``days * 86400 / rows``
    seconds, inserted in time order (the heap in time order, as ingestion leaves it), then ANALYZEd;
    the time of the last row. The planner then prices the tables as it would in service."""
    from custos.devices.models import Device

    pks = [
        Device.objects.create(organization=org, device_id=f"BRIN_{i:02d}", device_type="temperature_sensor").pk
        for i in range(devices)
    ]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seconds = days * 86400 / rows
    template = QualitySample.objects.create(
        organization=org,
        device_id=pks[0],
        sample_id="BRIN-0",
        timestamp=start,
        distance_matrix=[],
        tof_score=0.9,
        tof_grade="A",
        spectral_score=0.9,
        spectral_grade="A",
        fusion_score=0.9,
        grade="A",
        certification_hash="0" * 64,
    )
    quote = connection.ops.quote_name
    # Every sample a copy of the template, with its own key, station, sample id and time.
    varying: dict[str, tuple[str, list[Any]]] = {
        "id": ("gen_random_uuid()", []),
        "device_id": ("(%s::uuid[])[1 + g %% %s]", [pks, devices]),
        "sample_id": ("'BRIN-' || g", []),
        "timestamp": ("%s + g * %s * interval '1 second'", [start, seconds]),
    }
    columns = [str(field.column) for field in QualitySample._meta.concrete_fields]
    chosen = [varying.get(column, (f"s.{quote(column)}", [])) for column in columns]
    samples_table, readings_table = quote(QualitySample._meta.db_table), quote(Reading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {readings_table} (device_id, organization_id, {quote('timestamp')}, metric, value) "  # noqa: S608
            "SELECT (%s::uuid[])[1 + g %% %s], %s, %s + g * %s * interval '1 second', 'value', g "
            "FROM generate_series(1, %s) g",
            [pks, devices, org.pk, start, seconds, rows],
        )
        cursor.execute(
            f"INSERT INTO {samples_table} ({', '.join(quote(column) for column in columns)}) "  # noqa: S608
            f"SELECT {', '.join(sql for sql, _ in chosen)} FROM {samples_table} s, generate_series(1, %s) g "
            "WHERE s.id = %s",
            [*(value for _, params in chosen for value in params), rows, template.pk],
        )
        for _, model, name in CASES:
            cursor.execute("SELECT brin_summarize_new_values(%s::regclass)", [name])  # what autovacuum does
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")
    return start + timedelta(seconds=rows * seconds)


def window_count_plan(model: Any, end: datetime) -> str:
    """EXPLAIN of a count of every device's rows in the day before ``end``, index scans and sequential
    scans off (the settings are local to a transaction, rolled back)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            f'EXPLAIN SELECT COUNT(*) FROM {table} WHERE "timestamp" >= %s AND "timestamp" < %s',  # noqa: S608
            [end - timedelta(days=1), end],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


@pytest.mark.parametrize(("migration", "model", "name"), CASES, ids=IDS)
def test_the_migrations_name_the_real_tables(migration, model, name):
    assert name == migration.INDEX
    assert f"ON {model._meta.db_table} USING brin" in migration.CREATE
    assert f"DROP INDEX IF EXISTS {name}" == migration.DROP


@postgres_only
@pytest.mark.parametrize(("migration", "model", "name"), CASES, ids=IDS)
def test_postgresql_has_a_brin_index_on_the_timestamp(migration, model, name):
    assert brin_index(name) == [(model._meta.db_table, "brin", "timestamp", OPTIONS)]


@postgres_only
@pytest.mark.parametrize(("migration", "model", "name"), CASES, ids=IDS)
def test_a_window_across_devices_is_a_bitmap_scan_of_the_brin_index(migration, model, name, org_a):
    plan = window_count_plan(model, fill_in_time_order(org_a))
    assert f"Bitmap Index Scan on {name}" in plan
    assert f"Bitmap Heap Scan on {model._meta.db_table}" in plan


@postgres_only
@pytest.mark.parametrize(("migration", "model", "name"), CASES, ids=IDS)
def test_the_migration_reverses_on_postgresql(migration, model, name):
    editor = Recorder()
    create, drop = steps(migration)
    drop(None, editor)
    create(None, editor)
    assert editor.executed == [migration.DROP, migration.CREATE]
    with connection.schema_editor() as schema_editor:
        drop(None, schema_editor)
        assert brin_index(name) == []
        create(None, schema_editor)
    assert brin_index(name) == [(model._meta.db_table, "brin", "timestamp", OPTIONS)]


@sqlite_only
@pytest.mark.parametrize(("migration", "model", "name"), CASES, ids=IDS)
def test_the_migration_sends_nothing_to_sqlite(migration, model, name):
    editor = Recorder()
    create, drop = steps(migration)
    create(None, editor)
    drop(None, editor)
    assert editor.executed == []


@sqlite_only
def test_sqlite_keeps_exactly_the_model_indexes():
    applied = MigrationRecorder(connection).applied_migrations()
    assert ("devices", "0006_reading_timestamp_brin") in applied
    assert ("quality", "0003_sample_timestamp_brin") in applied
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN (%s, %s)",
            [Reading._meta.db_table, QualitySample._meta.db_table],
        )
        indexes = cursor.fetchall()
    assert [name for _, name, sql in indexes if "brin" in name or "brin" in (sql or "").lower()] == []
    by_table = {
        table: sorted(name for owner, name, _ in indexes if owner == table and not name.startswith("sqlite_autoindex"))
        for table in (Reading._meta.db_table, QualitySample._meta.db_table)
    }
    assert by_table == {
        "devices_reading": ["reading_device_metric_ts"],
        "quality_qualitysample": [
            "quality_qualitysample_created_at_38f9eb4a",
            "quality_qualitysample_organization_id_70c376f7",
            "quality_sample_device_ts",
            "quality_sample_org_grade_ts",
            "quality_sample_org_ts",
        ],
    }
