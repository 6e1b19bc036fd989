"""Settings for the test suite: the real settings, with a private CUSTOS_HOME per run and fast hashing.

The run mode still comes from the environment, so the same suite runs embedded (no variables) and
scaled (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL set), as CI does.

Parallel runs (``pytest -n 2``, pytest-xdist): every worker process is a separate Django with its own
``CUSTOS_HOME`` (``<run home>/<worker id>``), so the embedded queue, the file cache, media files,
mail files and the generated secret of one worker are never touched by another (``cache.clear()``
between tests would otherwise empty the other worker's cache). Each worker has its own test database:
embedded, an in-memory SQLite database per process; scaled, pytest-django's ``test_<name>_gw<n>``
PostgreSQL database; and its own Redis database number (``REDIS_URL``'s number minus the worker index),
because clearing a Redis cache empties the whole database.
"""

import os
import re
import tempfile
from pathlib import Path

# The run's home: one temporary directory, shared by the controller and workers of one pytest run
# (workers inherit the controller's environment), unless CUSTOS_HOME is set from outside.
_RUN_HOME = (
    os.environ.get("CUSTOS_TEST_RUN_HOME") or os.environ.get("CUSTOS_HOME") or tempfile.mkdtemp(prefix="custos-test-")
)
os.environ["CUSTOS_TEST_RUN_HOME"] = _RUN_HOME
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... in a worker; "" otherwise
os.environ["CUSTOS_HOME"] = str(Path(_RUN_HOME) / XDIST_WORKER) if XDIST_WORKER else _RUN_HOME
os.environ.setdefault("CUSTOS_EMBEDDED_WORKER", "false")

if XDIST_WORKER and os.environ.get("REDIS_URL"):
    _index = int(XDIST_WORKER.removeprefix("gw") or 0)
    _redis = re.match(r"^(?P<base>rediss?://[^/?]*)(?:/(?P<db>\d+))?(?P<rest>.*)$", os.environ["REDIS_URL"])
    if _redis is not None:
        _db = int(_redis["db"] or 0)
        os.environ["REDIS_URL"] = f"{_redis['base']}/{(_db - _index) % 16}{_redis['rest']}"

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

# SQLite: the test database lives in memory, one per process. Naming it explicitly also keeps
# pytest-django from deriving a worker name from the file path (``test_/tmp/.../custos.sqlite3_gw0``,
# a directory that does not exist), which it does because the engine is not Django's own.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
else:
    # The suites that run ASGI and Socket.IO servers on threads of the test process leave those threads'
    # connections checked out of the pool until the process ends; a late test then waited 10 s for one of
    # the default 8 and failed (seen once in CI). Tests get room for them.
    _pool = DATABASES["default"].setdefault("OPTIONS", {}).get("pool")
    if isinstance(_pool, dict):
        _pool["max_size"] = max(int(_pool.get("max_size", 8)), 24)

# Argon2 is deliberately slow; tests create many users. tests/test_settings.py checks production uses Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
