"""On PostgreSQL, a BRIN index on ``devices_reading.timestamp``: time windows across devices.

Readings are appended in time order, so the heap is in time order too, and a BRIN index (the least and
greatest timestamp of each range of 32 pages) narrows a window to the ranges that hold it for a few
dozen kilobytes and next to no write cost. The (device, metric, timestamp) B-tree cannot bound a window
whose metric is not given (the twin health report, the readings export, the retention delete): it reads
every entry of every device, or the planner scans the table.

``pages_per_range = 32``, a quarter of the default: about 2,800 readings a range, so the two partial
ranges at the edges of a window, or a range widened by a batch a device sends late, cost at most 32
pages each instead of 128, and the index of 2 million readings is still 40 kB. ``autosummarize = on``:
autovacuum summarizes each range as soon as ingestion has filled it, instead of at the next VACUUM of
the table (until then a range matches every window). Measured in bench/time_indexes.py, described in
docs/deployment.md ("Time-series indexes").

SQLite has no BRIN: nothing happens there. The model's Meta does not declare the index either: Django
would then send it to SQLite too.
"""

from django.db import migrations

from custos.kernel.migration_ops import postgresql_only

INDEX = "reading_ts_brin"
CREATE = (
    f'CREATE INDEX IF NOT EXISTS {INDEX} ON devices_reading USING brin ("timestamp") '
    "WITH (pages_per_range = 32, autosummarize = on)"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


class Migration(migrations.Migration):
    dependencies = [("devices", "0005_firmware_ota")]
    operations = [postgresql_only(CREATE, DROP)]
