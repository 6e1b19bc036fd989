"""How fast does the twin batch route store readings, beside a raw bulk insert of the same rows?

In one run, against one fresh database:

  route  ``POST /api/readings`` through Django's full request stack (middleware, JWT authentication,
         orjson parsing, the all-or-nothing validation of ``readings_ingest``, one binary ``COPY``
         (PostgreSQL) or one ``executemany`` (SQLite), the alarm rules and one ``last_seen`` update
         per request, in one transaction), driven by Django's test client in this process: no
         network, no server threads;
  raw    the same rows, already as Python tuples, inserted into the same table with the driver
         alone: ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL, one transaction
         per batch (the same batches as the route).

Route and raw batches alternate (route batch 1, raw batch 1, route batch 2, ...), so both sides meet
the same machine load and the same table and index size; each side's time is the sum of its own
batches. Both sides write the same number of rows in batches of ``--batch`` spread over ``--devices``
devices; readings/s is rows divided by wall time. The ratio route/raw is the share of a bare insert
that the route keeps. Embedded mode (a fresh SQLite file under a temporary CUSTOS_HOME) unless
DATABASE_URL names a PostgreSQL database, which is then used as is (its devices tables must be
migrated: the script runs ``migrate``; it adds one organization and deletes its rows at the end).

Run it from the repository root::

    .venv/bin/python bench/twin_ingest.py                        # 100 batches of 1000 rows
    .venv/bin/python bench/twin_ingest.py --batches 50 --batch 5000
    DATABASE_URL=postgres://... .venv/bin/python bench/twin_ingest.py

Exit status 0 after printing the figures, 1 when the route refuses a batch or rows go missing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ``python bench/twin_ingest.py`` puts bench/ first on sys.path, where bench/http.py shadows the stdlib.
sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.common import bench_line, bench_owner, machine_load, setup_django  # noqa: E402 - after the path is set


def _rows(devices: list[str], batches: int, size: int) -> list[list[dict]]:
    start = datetime.now(UTC) - timedelta(days=2)
    out, n = [], 0
    for _ in range(batches):
        batch = []
        for _ in range(size):
            batch.append(
                {
                    "device_id": devices[n % len(devices)],
                    "timestamp": (start + timedelta(milliseconds=10 * n)).isoformat(),
                    "value": 20.0 + (n % 997) / 10.0,
                }
            )
            n += 1
        out.append(batch)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1000, help="readings per request (at most 10000)")
    parser.add_argument("--devices", type=int, default=20)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="custos-bench-ingest-") as home:
        setup_django(Path(home))
        import orjson
        from django.db import connection, transaction

        from custos.devices.models import Device, Reading

        org, user, client = bench_owner()
        names = [f"BENCH_{i:03d}" for i in range(args.devices)]
        devices = {
            d.device_id: d.pk
            for d in Device.objects.bulk_create(
                Device(organization=org, device_id=name, device_type="temperature_sensor") for name in names
            )
        }
        route_batches = _rows(names, args.batches, args.batch)
        bodies = [orjson.dumps(batch) for batch in route_batches]
        total = args.batches * args.batch

        # Warm-up (imports, first queries, SQLite caches); its rows are deleted before timing.
        warm = client.post("/api/readings", bodies[0], content_type="application/json")
        if warm.status_code != 201:
            print(f"route refused the warm-up batch: {warm.status_code} {warm.content[:300]!r}")
            return 1
        Reading.objects.filter(organization=org).delete()

        # The same rows for the driver alone: tuples ready to go (the route parses them itself).
        table = Reading._meta.db_table
        vendor = connection.vendor
        adapt = connection.ops.adapt_datetimefield_value  # the stored form of a date-time, as Django writes it

        def pk(value: uuid.UUID) -> str:
            return str(value) if vendor == "postgresql" else value.hex

        raw_batches = [
            [
                (
                    pk(devices[row["device_id"]]),
                    pk(org.pk),
                    adapt(datetime.fromisoformat(row["timestamp"])),
                    "value",
                    row["value"],
                )
                for row in batch
            ]
            for batch in route_batches
        ]
        columns = "device_id, organization_id, timestamp, metric, value"

        def raw_insert(batch: list[tuple]) -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                if vendor == "postgresql":
                    raw_cursor = cursor.cursor  # the psycopg cursor behind Django's wrappers
                    with raw_cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                else:
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)", batch)

        # Route and raw batches alternate, so both meet the same machine load and the same table size.
        route_seconds = raw_seconds = 0.0
        for body, batch in zip(bodies, raw_batches, strict=True):
            started = time.perf_counter()
            response = client.post("/api/readings", body, content_type="application/json")
            route_seconds += time.perf_counter() - started
            if response.status_code != 201:
                print(f"route refused a batch: {response.status_code} {response.content[:300]!r}")
                return 1
            started = time.perf_counter()
            raw_insert(batch)
            raw_seconds += time.perf_counter() - started
        stored = Reading.objects.filter(organization=org).count()
        if stored != 2 * total:
            print(f"{stored} rows stored, expected {2 * total} (route and raw)")
            return 1

        route_rate, raw_rate = total / route_seconds, total / raw_seconds
        print(f"database      {vendor} ({connection.settings_dict['NAME']})")
        print(f"load average  {machine_load()} (1, 5, 15 min; {os.cpu_count()} CPUs)")
        print(f"rows          {total} in {args.batches} batches of {args.batch}, {args.devices} devices")
        print(f"route         {route_rate:12,.0f} readings/s  ({route_seconds:.2f} s, POST /api/readings)")
        raw_name = "COPY" if vendor == "postgresql" else "executemany"
        print(f"raw {raw_name:<10}{raw_rate:12,.0f} readings/s  ({raw_seconds:.2f} s)")
        print(f"ratio         {route_rate / raw_rate:.2f}x raw")
        # The baseline: the raw insert of the same rows into the same database in this run.
        print(bench_line(f"twin_ingest_{vendor}_route", route_rate, "readings/s", baseline=raw_rate))
        if vendor == "postgresql":
            Reading.objects.filter(organization=org).delete()
            Device.objects.filter(organization=org).delete()
            org.delete()
            user.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
