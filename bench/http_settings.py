"""Settings for ``bench/http.py``: the product's settings, routed to the bench-only URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
