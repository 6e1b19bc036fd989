"""The Celery application. Broker and backend come from settings (see config/settings.py)."""

from __future__ import annotations

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# The embedded queue (sqla+sqlite:///…) uses our SQLite-tuned subclass of kombu's SQLAlchemy transport.
TRANSPORT_ALIASES["sqla"] = "custos.jobs.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("custos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
