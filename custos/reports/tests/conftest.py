"""Fixtures of the report tests: the content providers of the twin and quality modules, constructed
samples, devices and readings, and jobs run in-process.

``custos.reports`` is a core app: it must not import the domain modules (import-linter), so their
models are reached through the app registry and their provider modules are imported by name here (in
the running system their AppConfig.ready imports them).
"""

from __future__ import annotations

import hashlib
import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps

PROVIDERS = ("custos.modules.quality.report_content", "custos.modules.twin.report_content")
for _module in PROVIDERS:
    importlib.import_module(_module)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def jobs_inline(eager_jobs_app, django_capture_on_commit_callbacks):
    """``with jobs_inline():`` runs the jobs queued inside (after commit) before leaving the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def eager_jobs_app():
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def make_device(organization, device_id, *, device_type="quality_station", **extra):
    from custos.devices.models import Device

    return Device.objects.create(organization=organization, device_id=device_id, device_type=device_type, **extra)


def make_sample(device, sample_id, *, when, grade, score, tof=0.7, spectral=0.6, height=50.0, defects=0, lot=""):
    model = apps.get_model("quality", "QualitySample")
    return model.objects.create(
        organization_id=device.organization_id,
        device=device,
        sample_id=sample_id,
        timestamp=when,
        distance_matrix=[[100.0] * 8 for _ in range(8)],
        tof_score=tof,
        tof_grade=grade,
        avg_height_mm=height,
        spectral_score=spectral,
        spectral_grade=grade,
        fusion_score=score,
        grade=grade,
        num_defects=defects,
        lot_abattage=lot,
        certification_hash=hashlib.sha256(sample_id.encode()).hexdigest(),
    )


@pytest.fixture
def samples(org_a, org_b):
    """Northwind: ST-1 (A 0.80 two days ago, C 0.50 yesterday), ST-2 (REJECT 0.30 yesterday), and an
    old sample (20 days ago) outside a 7-day period; Helios: one sample that must never show."""
    now = datetime.now(tz=UTC).replace(microsecond=0)
    st1, st2 = make_device(org_a, "ST-1"), make_device(org_a, "ST-2")
    rows = [
        make_sample(st1, "S-1", when=now - timedelta(days=2), grade="A", score=0.8, height=52.0, lot="=LOT-1"),
        make_sample(st1, "S-2", when=now - timedelta(days=1), grade="C", score=0.5, height=47.0, defects=2),
        make_sample(st2, "S-3", when=now - timedelta(days=1, hours=1), grade="REJECT", score=0.3, height=40.0),
        make_sample(st2, "S-OLD", when=now - timedelta(days=20), grade="A+", score=0.9),
    ]
    make_sample(make_device(org_b, "HX-1"), "H-1", when=now - timedelta(days=1), grade="A+", score=0.95)
    return rows
