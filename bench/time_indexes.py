"""What the BRIN indexes on the time-series tables buy and cost on PostgreSQL (readings and SQAL samples).

The migrations ``devices/0006_reading_timestamp_brin`` and ``quality/0003_sample_timestamp_brin`` add a
BRIN index on the ``timestamp`` column of ``devices_reading`` and ``quality_qualitysample`` (PostgreSQL
only). In one run, against one throwaway database, this script

  1. DROPs and re-creates the database named by ``--database-url`` (default: the server of
     ``DATABASE_URL``, database ``custos_brin_bench``), migrates it, and bulk-loads ``--readings``
     readings (two metrics) and ``--samples`` quality samples in time order over ``--devices`` devices
     of one organization, spread evenly over the last ``--days`` days (plain-text ``COPY``; one sample
     row is the product's own analysis of a station frame, stored again with other keys, times and
     grades), then ``VACUUM ANALYZE`` (which also summarizes the BRIN ranges of the loaded pages);
  2. prints the size of the tables and of their indexes (``pg_relation_size``);
  3. times the product's reads of these tables by a time window across devices, through the product's
     own functions: the twin device health report and readings export over the last ``--window-hours``;
     the hourly retention delete at steady state (``readings_prune`` removing the oldest
     ``--prune-hours``, rolled back) beside its former form (one delete per device); the SQAL
     statistics, hourly series and summary report over ``--window-hours``; the SQAL dashboard figures
     of its default 7 days. Each is the median of ``--repeat`` runs after a warm-up, with the BRIN
     indexes and without them (dropped inside a transaction that is rolled back: the same connection,
     data and cache; the "with" runs are in a rolled-back transaction too), the two states taking
     turns to go first. The scans of the plans PostgreSQL ran are printed for both states
     (``auto_explain``, loaded into the bench session, which needs a superuser; skipped otherwise);
  4. times the ingest of further batches: ``--ingest-rounds`` batches with the BRIN indexes and as many
     without (dropped, then re-created, so a "with" batch meets a fully summarized index), in the order
     with, without, without, with, ...; readings through the product's binary ``COPY`` (the batch
     route's ``_insert_readings``), samples through a plain-text ``COPY``; the median rate of each.

Each figure is printed as a ``BENCH`` line whose ``baseline=`` is the same figure without the BRIN
index, in this run. The tables fit in the machine's memory, so these are warm-cache figures: the work
of each plan, not disk reads (which a cold cache would add, in proportion to the pages a plan reads).

Run it from the repository root (PostgreSQL only; with any other ``DATABASE_URL``, or none, the script
says so and exits 0)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/custos .venv/bin/python bench/time_indexes.py
    DATABASE_URL=postgres://... .venv/bin/python bench/time_indexes.py --readings 200000 --samples 20000
    DATABASE_URL=postgres://... .venv/bin/python bench/time_indexes.py --keep   # leave the bench database

The bench database is dropped at the end unless ``--keep``. Exit status 0 after printing the figures, 1
when the BRIN indexes are missing after ``migrate`` or the loaded rows are not all there, 2 when the
bench database would be ``DATABASE_URL``'s own.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# ``python bench/time_indexes.py`` puts bench/ first on sys.path, where bench/http.py shadows the stdlib.
sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.common import bench_line, machine_load, setup_django, station_measurements  # noqa: E402

BENCH_DATABASE = "custos_brin_bench"
METRICS = ("value", "temperature")
GRADES = ("A+", "A", "A", "A", "B", "B", "C", "REJECT")
READINGS_MIGRATION = "custos.devices.migrations.0006_reading_timestamp_brin"
SAMPLES_MIGRATION = "custos.modules.quality.migrations.0003_sample_timestamp_brin"
COPY_CHUNK = 1 << 20  # bytes handed to COPY at a time
READING_COLUMNS = ["device_id", "organization_id", '"timestamp"', "metric", "value"]


def _postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def bench_database_url(database_url: str, explicit: str) -> str:
    """``--database-url`` when given, else ``database_url``'s server with the bench database's name."""
    if explicit:
        return explicit
    return urlsplit(database_url)._replace(path=f"/{BENCH_DATABASE}", query="").geturl()


def reset_database(url: str, *, create: bool = True) -> None:
    """Drop (and re-create) the bench database, from the server's ``postgres`` database."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"the bench database must be a plain name, got {name!r}")
    admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def _text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bytes | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_lines(table: str, columns: list[str], lines: Iterator[str]) -> None:
    """``COPY table (columns) FROM STDIN`` of ready text lines, in the current transaction."""
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for line in lines:
            buffer.write(line)
            if buffer.tell() >= COPY_CHUNK:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def reading_lines(devices: list[str], org: str, start: datetime, step: float, first: int, count: int) -> Iterator[str]:
    """Readings ``first .. first + count - 1``: reading ``i`` at ``start + i * step`` seconds, device ``i % D``,
    the metrics taking turns per round of devices."""
    base = start.timestamp()
    for i in range(first, first + count):
        moment = datetime.fromtimestamp(base + i * step, UTC).isoformat()
        metric = METRICS[(i // len(devices)) % len(METRICS)]
        yield f"{devices[i % len(devices)]}\t{org}\t{moment}\t{metric}\t{20.0 + (i % 997) / 10.0}\n"


class SampleRows:
    """Rows of the samples table: the product's analysis of one station frame, stored under other keys."""

    VARYING = ("id", "created_at", "updated_at", "device_id", "sample_id", "timestamp", "grade", "fusion_score")

    def __init__(self, org: Any, device: Any) -> None:
        from django.db import models

        from custos.modules.quality.models import QualitySample
        from custos.modules.quality.services.frames import parse_frame
        from custos.modules.quality.services.samples import sample_values

        content = {"sample_id": "TEMPLATE", "timestamp": datetime.now(UTC).isoformat(), **station_measurements()}
        values = sample_values(parse_frame(content, device_id=device.device_id), device=device)
        template = QualitySample(**values)
        fixed: list[str] = []
        self.fixed_columns: list[str] = []
        for field in QualitySample._meta.concrete_fields:
            if field.attname in self.VARYING:
                continue
            value = getattr(template, field.attname)
            if isinstance(field, models.JSONField) and value is not None:
                value = json.dumps(value, cls=field.encoder)
            fixed.append(_text(value))
            self.fixed_columns.append(str(field.column))
        self.quoted_columns = [f'"{column}"' for column in (*self.VARYING, *self.fixed_columns)]
        self.fixed = "\t".join(fixed)

    def lines(self, devices: list[str], start: datetime, step: float, first: int, count: int) -> Iterator[str]:
        base = start.timestamp()
        for i in range(first, first + count):
            moment = datetime.fromtimestamp(base + i * step, UTC).isoformat()
            grade = GRADES[i % len(GRADES)]
            score = 0.55 + (i % 43) / 100.0
            device = devices[i % len(devices)]
            yield f"{uuid.uuid4()}\t{moment}\t{moment}\t{device}\tS-{i:09d}\t{moment}\t{grade}\t{score}\t{self.fixed}\n"


def execute(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def sizes(tables: list[str]) -> list[tuple[str, int, str]]:
    """(relation, bytes, access method) of each table and of its indexes."""
    rows: list[tuple[str, int, str]] = []
    for table in tables:
        rows.append((table, int(execute("SELECT pg_relation_size(%s::regclass)", [table])[0][0]), "heap"))
        rows += [
            (f"  {name}", int(size), method)
            for name, size, method in execute(
                """SELECT c.relname, pg_relation_size(c.oid), am.amname
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
                   WHERE i.indrelid = %s::regclass ORDER BY am.amname, c.relname""",
                [table],
            )
        ]
    return rows


def access_paths(run: Callable[[], Any]) -> list[str]:
    """The scans of the plans PostgreSQL ran for ``run``'s statements (server-side cursors and deletes
    included): ``auto_explain`` (loaded by ``run``) reports each plan to this session as a notice."""
    from django.db import connection

    notices: list[str] = []

    def keep(diagnostic: Any) -> None:
        notices.append(diagnostic.message_primary or "")

    raw = connection.connection  # the psycopg connection behind Django's wrapper
    raw.add_notice_handler(keep)
    execute("SET auto_explain.log_min_duration = 0")
    try:
        run()
    finally:
        execute("SET auto_explain.log_min_duration = -1")
        raw.remove_notice_handler(keep)
    found: list[str] = []
    for notice in notices:
        lines = notice.splitlines()
        if "plan:" not in notice or "pg_" in notice.split("Query Text:", 1)[-1].split("\n", 1)[0]:
            continue
        for line in lines:
            text = line.strip().removeprefix("->").strip()
            if "Scan" in text and "Subquery Scan" not in text:
                path = text.split("  (")[0]
                if path not in found:
                    found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"the bench database (default: {BENCH_DATABASE})")
    parser.add_argument("--readings", type=int, default=2_000_000)
    parser.add_argument("--samples", type=int, default=300_000)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--days", type=float, default=30.0, help="the loaded rows span the last DAYS days")
    parser.add_argument("--window-hours", type=float, default=24.0, help="the period of the reports")
    parser.add_argument("--prune-hours", type=float, default=1.0, help="what one retention delete removes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--ingest", type=int, default=20_000, help="readings per ingest batch")
    parser.add_argument("--ingest-samples", type=int, default=2_000, help="samples per ingest batch")
    parser.add_argument("--ingest-rounds", type=int, default=10, help="batches with, and as many without, BRIN")
    parser.add_argument("--keep", action="store_true", help="leave the bench database behind")
    args = parser.parse_args(argv)

    database_url = os.environ.get("DATABASE_URL", "")
    if not _postgres(database_url):
        print(
            "bench/time_indexes.py measures PostgreSQL's BRIN indexes: set DATABASE_URL to a PostgreSQL server "
            "(postgres://...); nothing to measure on SQLite."
        )
        return 0
    url = bench_database_url(database_url, args.database_url)
    bench, own = urlsplit(url), urlsplit(database_url)
    if (bench.hostname, bench.port, bench.path) == (own.hostname, own.port, own.path):
        print(f"the bench database would be DATABASE_URL's own ({bench.path.lstrip('/')}): it is dropped, pick another")
        return 2
    reset_database(url)
    os.environ["DATABASE_URL"] = url
    try:
        with tempfile.TemporaryDirectory(prefix="custos-bench-brin-") as home:
            setup_django(Path(home))
            return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            reset_database(url, create=False)


@dataclass
class Operation:
    name: str  # the BENCH figure
    label: str
    run: Callable[[], Any]


class Timer:
    """The runs of each operation, per state (``brin``: with the BRIN indexes, ``btree``: without)."""

    def __init__(self) -> None:
        self.runs: dict[tuple[str, str], list[float]] = {}

    def time(self, name: str, state: str, run: Callable[[], Any]) -> None:
        started = time.perf_counter()
        run()
        self.runs.setdefault((name, state), []).append(time.perf_counter() - started)

    def median(self, name: str, state: str) -> float:
        return statistics.median(self.runs[(name, state)])


def load(args: argparse.Namespace) -> tuple[Any, list[Any], SampleRows, datetime, datetime]:
    """The organization, its devices, the sample rows, and the first and last moment of the loaded rows."""
    from django.db import transaction

    from custos.devices.models import Device, Reading
    from custos.modules.quality.models import QualitySample
    from custos.orgs.models import Organization

    org = Organization.objects.create(name="BRIN bench", slug="brin-bench")
    devices = Device.objects.bulk_create(
        Device(organization=org, device_id=f"DEV_{i:03d}", device_type="temperature_sensor")
        for i in range(args.devices)
    )
    keys = [str(device.pk) for device in devices]
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=args.days)
    span = args.days * 86400
    samples = SampleRows(org, devices[0])
    started = time.perf_counter()
    with transaction.atomic():
        lines = reading_lines(keys, str(org.pk), start, span / args.readings, 0, args.readings)
        copy_lines(Reading._meta.db_table, READING_COLUMNS, lines)
    readings_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with transaction.atomic():
        lines = samples.lines(keys, start, span / args.samples, 0, args.samples)
        copy_lines(QualitySample._meta.db_table, samples.quoted_columns, lines)
    samples_seconds = time.perf_counter() - started
    for table in (Reading._meta.db_table, QualitySample._meta.db_table):
        execute(f"VACUUM ANALYZE {table}")  # also summarizes the BRIN ranges of the loaded pages
    execute("ANALYZE")  # the devices and the rest, as autovacuum would have them in service
    print(
        f"data          {args.readings:,} readings ({len(METRICS)} metrics) and {args.samples:,} samples over "
        f"{args.devices} devices, {args.days:g} days in time order "
        f"(COPY {readings_seconds:.1f} s and {samples_seconds:.1f} s, then VACUUM ANALYZE)"
    )
    return org, devices, samples, start, end


def operations(args: argparse.Namespace, org: Any, start: datetime, end: datetime) -> list[Operation]:
    """The product's reads (and the retention delete) of these tables by a time window across devices."""
    from django.conf import settings
    from django.db import transaction

    from custos.devices.models import Device, Reading
    from custos.devices.services import readings_prune
    from custos.modules.quality import report_content as quality_report
    from custos.modules.quality import selectors
    from custos.modules.twin import report_content as twin_report
    from custos.reports.registry import ReportRequest

    since = end - timedelta(hours=args.window_hours)
    health = ReportRequest(org.pk, since, end, {}, ("devices", "readings", "alarms"))
    export = ReportRequest(org.pk, since, end, {}, ("readings",))
    summary = ReportRequest(org.pk, since, end, {}, ("grades", "daily", "devices", "samples"))
    window = selectors.filter_samples(selectors.samples_of([org.pk]), start=since, end=end)
    # The hourly run at steady state: a retention of one day, an hour after the oldest readings crossed it.
    prune_now = start + timedelta(days=1, hours=args.prune_hours)

    def prune() -> int:
        with transaction.atomic():
            settings.DEVICES_READINGS_RETENTION_DAYS = 1
            removed = readings_prune(now=prune_now)
            transaction.set_rollback(True)
        return removed

    def prune_per_device() -> int:
        """The retention delete as it was before it became one delete: one per device."""
        cutoff, removed = prune_now - timedelta(days=1), 0
        with transaction.atomic():
            for device_pk in Device.objects.values_list("pk", flat=True).iterator():
                removed += Reading.objects.filter(device_id=device_pk, timestamp__lt=cutoff).delete()[0]
            transaction.set_rollback(True)
        return removed

    def drain(content: Any) -> int:
        return sum(sum(1 for _ in section.rows) for section in content.sections)

    hours, prune_hours = f"{args.window_hours:g}h", f"{args.prune_hours:g}h"
    return [
        Operation(f"readings_health_report_{hours}", "twin health report", lambda: twin_report.build_health(health)),
        Operation(
            f"readings_export_{hours}", "twin readings export", lambda: drain(twin_report.build_readings(export))
        ),
        Operation(f"readings_prune_{prune_hours}", "retention delete, readings_prune", prune),
        Operation(f"readings_prune_per_device_{prune_hours}", "retention delete, one per device", prune_per_device),
        Operation(f"samples_stats_{hours}", "SQAL stats", lambda: selectors.stats(window)),
        Operation(
            f"samples_timeseries_{hours}",
            "SQAL hourly series",
            lambda: selectors.timeseries(window, interval="hour"),
        ),
        Operation(
            f"samples_report_{hours}", "SQAL summary report", lambda: drain(quality_report.build_summary(summary))
        ),
        Operation(
            "samples_dashboard_7d",
            "SQAL dashboard metrics, 7 days",
            lambda: selectors.dashboard_metrics(
                selectors.samples_of([org.pk]).filter(timestamp__gte=selectors.period(7))
            ),
        ),
    ]


def ingest(
    args: argparse.Namespace, org: Any, devices: list[Any], samples: SampleRows, start: datetime, migrations: list[Any]
) -> dict[tuple[str, str], float]:
    """Rows per second (median of the batches) of each table with (``brin``) and without (``btree``) the index."""
    from django.db import transaction

    from custos.devices.services import _insert_readings
    from custos.modules.quality.models import QualitySample

    keys = [str(device.pk) for device in devices]
    span = args.days * 86400
    reading_step, sample_step = span / args.readings, span / args.samples
    next_reading, next_sample = args.readings, args.samples
    rates: dict[tuple[str, str], list[float]] = {}
    for index in range(2 * args.ingest_rounds):
        state = ("brin", "btree")[(index + index // 2) % 2]  # brin, btree, btree, brin, brin, btree...
        for migration in migrations:
            execute(migration.CREATE if state == "brin" else migration.DROP)
        prepared = [
            (
                devices[i % len(devices)].pk,
                start + timedelta(seconds=i * reading_step),
                METRICS[(i // len(devices)) % len(METRICS)],
                20.0 + (i % 997) / 10.0,
            )
            for i in range(next_reading, next_reading + args.ingest)
        ]
        started = time.perf_counter()
        with transaction.atomic():
            _insert_readings(org.pk, prepared)
        rates.setdefault(("readings", state), []).append(args.ingest / (time.perf_counter() - started))
        lines = list(samples.lines(keys, start, sample_step, next_sample, args.ingest_samples))
        started = time.perf_counter()
        with transaction.atomic():
            copy_lines(QualitySample._meta.db_table, samples.quoted_columns, iter(lines))
        rates.setdefault(("samples", state), []).append(args.ingest_samples / (time.perf_counter() - started))
        next_reading += args.ingest
        next_sample += args.ingest_samples
    for migration in migrations:
        execute(migration.CREATE)
    return {key: statistics.median(values) for key, values in rates.items()}


def run(args: argparse.Namespace) -> int:
    from django.db import DatabaseError, connection, transaction

    from custos.devices.models import Reading
    from custos.modules.quality.models import QualitySample

    tables = [Reading._meta.db_table, QualitySample._meta.db_table]
    migrations = [importlib.import_module(READINGS_MIGRATION), importlib.import_module(SAMPLES_MIGRATION)]
    brin = {migration.INDEX for migration in migrations}
    present = {name for (name,) in execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(brin)])}
    if present != brin:
        print(f"migrate left the BRIN indexes {sorted(brin - present)} missing")
        return 1

    version = execute("SHOW server_version")[0][0]
    print(f"database      PostgreSQL {version} ({connection.settings_dict['NAME']})")
    print(f"load average  {machine_load()} (1, 5, 15 min; {os.cpu_count()} CPUs)")
    org, devices, samples, start, end = load(args)
    counts = (Reading.objects.count(), QualitySample.objects.count())
    if counts != (args.readings, args.samples):
        print(f"loaded {counts}, expected {(args.readings, args.samples)}")
        return 1
    print()
    print(f"{'relation':48s} {'method':7s} {'size':>12s}")
    for relation, size, method in sizes(tables):
        print(f"{relation:48s} {method:7s} {size / 1024:>9,.0f} kB")

    def with_brin(body: Callable[[], Any]) -> Any:
        """``body`` in a transaction that is rolled back (as the other state runs)."""
        with transaction.atomic():
            result = body()
            transaction.set_rollback(True)
        return result

    def without_brin(body: Callable[[], Any]) -> Any:
        """``body`` in a transaction that drops the BRIN indexes first and is rolled back."""
        with transaction.atomic():
            for migration in migrations:
                execute(migration.DROP)
            result = body()
            transaction.set_rollback(True)
        return result

    reads = operations(args, org, start, end)
    try:
        execute("LOAD 'auto_explain'")
        execute("SET auto_explain.log_level = 'notice'")
        explain = True
    except DatabaseError as error:  # not a superuser, or no auto_explain
        print(f"\nno plans: LOAD 'auto_explain' failed ({error})".rstrip())
        explain = False
    answers = {op.name: (with_brin(op.run), without_brin(op.run)) for op in reads}  # warm-up, and a check
    wrong = [name for name, (first, second) in answers.items() if first != second and "report" not in name]
    if wrong:
        print(f"the answers differ without the BRIN indexes: {wrong}")
        return 1
    paths = {
        op.name: (with_brin(partial(access_paths, op.run)), without_brin(partial(access_paths, op.run)))
        for op in reads
        if explain
    }
    timer = Timer()

    def time_all(state: str) -> None:
        for op in reads:
            timer.time(op.name, state, op.run)

    for repetition in range(args.repeat):
        # Both states alike (one transaction, rolled back), taking turns to go first.
        states = [("brin", with_brin), ("btree", without_brin)]
        for state, within in states if repetition % 2 == 0 else states[::-1]:
            within(partial(time_all, state))

    removed = next(first for name, (first, _) in answers.items() if name.startswith("readings_prune_"))
    print()
    print(
        f"reads: a window of the last {args.window_hours:g} h of {args.days:g} days; the retention delete removes the "
        f"oldest {args.prune_hours:g} h ({removed:,} readings, rolled back); median of {args.repeat} runs"
    )
    print(f"{'operation':40s} {'with BRIN':>12s} {'without':>12s} {'ratio':>7s}")
    for op in reads:
        with_ms, without_ms = 1000 * timer.median(op.name, "brin"), 1000 * timer.median(op.name, "btree")
        print(f"{op.label:40s} {with_ms:>9.1f} ms {without_ms:>9.1f} ms {with_ms / without_ms:>6.2f}x")
    print()
    print("scans of the plans PostgreSQL ran (auto_explain)" if explain else "")
    for op in reads if explain else []:
        with_paths, without_paths = paths[op.name]
        print(f"  {op.label}")
        print(f"    with BRIN: {'; '.join(with_paths)}")
        print(f"    without:   {'; '.join(without_paths)}")

    rates = ingest(args, org, devices, samples, start, migrations)
    print()
    print(
        f"ingest: {args.ingest_rounds} batches of {args.ingest:,} readings (the batch route's binary COPY) and of "
        f"{args.ingest_samples:,} samples (text COPY) with the BRIN index, as many without, in turn; median"
    )
    print(f"{'ingest':40s} {'with BRIN':>12s} {'without':>12s} {'ratio':>7s}")
    for table in ("readings", "samples"):
        with_rate, without_rate = rates[(table, "brin")], rates[(table, "btree")]
        ratio = with_rate / without_rate
        print(f"{table + ' COPY, rows/s':40s} {with_rate:>12,.0f} {without_rate:>12,.0f} {ratio:>6.2f}x")

    print()
    for op in reads:
        value, baseline = 1000 * timer.median(op.name, "brin"), 1000 * timer.median(op.name, "btree")
        print(bench_line(f"time_indexes_{op.name}", value, "ms", baseline=baseline))
    for table in ("readings", "samples"):
        rate, baseline = rates[(table, "brin")], rates[(table, "btree")]
        print(bench_line(f"time_indexes_{table}_copy", rate, f"{table}/s", baseline=baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
