"""On PostgreSQL, a BRIN index on ``quality_qualitysample.timestamp``: long time windows.

Samples are appended at 1 Hz per station in time order, so the heap is in time order too, and a BRIN
index (the least and greatest timestamp of each range of 32 pages) narrows a window to the ranges that
hold it for a few dozen kilobytes and next to no write cost. The (organization, timestamp) B-tree keeps
serving the short windows; over a longer one (the dashboard's 7 days) the planner otherwise scans the
whole table, and takes this index instead.

``pages_per_range = 32``, a quarter of the default: a sample row is wide (matrices and metrics as JSON,
about 2 kB), so a range is some 130 samples, and the partial ranges at the edges of a window, or one
widened by a station replaying old samples, cost at most 32 pages each instead of 128.
``autosummarize = on``: autovacuum summarizes each range as soon as it is full, instead of at the next
VACUUM of the table (until then a range matches every window). Measured in bench/time_indexes.py,
described in docs/deployment.md ("Time-series indexes").

SQLite has no BRIN: nothing happens there. The model's Meta does not declare the index either: Django
would then send it to SQLite too.
"""

from django.db import migrations

from custos.kernel.migration_ops import postgresql_only

INDEX = "quality_sample_ts_brin"
CREATE = (
    f'CREATE INDEX IF NOT EXISTS {INDEX} ON quality_qualitysample USING brin ("timestamp") '
    "WITH (pages_per_range = 32, autosummarize = on)"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


class Migration(migrations.Migration):
    dependencies = [("quality", "0002_time_range_indexes")]
    operations = [postgresql_only(CREATE, DROP)]
