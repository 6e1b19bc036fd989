"""Health history retention: records past ``TWIN_HEALTH_RETENTION_DAYS`` are pruned by the hourly task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from custos.modules.twin import services, tasks
from custos.modules.twin.models import HealthRecord
from custos.modules.twin.tests.conftest import make_device

pytestmark = pytest.mark.django_db


def _record(device, computed_at):
    return HealthRecord.objects.create(
        organization_id=device.organization_id,
        device=device,
        computed_at=computed_at,
        health_score=0.9,
        efficiency_score=0.8,
        status="good",
    )


def test_health_history_past_the_retention_is_pruned(org_a, org_b, settings):
    settings.TWIN_HEALTH_RETENTION_DAYS = 30
    now = timezone.now()
    mine, theirs = make_device(org_a, "T1"), make_device(org_b, "T2")
    for device, days in ((mine, 31), (mine, 29), (mine, 0), (theirs, 45), (theirs, 30.5)):
        _record(device, now - timedelta(days=days))
    assert services.health_records_prune(now=now) == 3  # the 31, 45 and 30.5 days old
    remaining = sorted(round((now - r.computed_at).total_seconds() / 86400) for r in HealthRecord.objects.all())
    assert remaining == [0, 29]
    assert services.health_records_prune(now=now) == 0
    assert services.health_records_prune(now=now + timedelta(days=2)) == 1


def test_the_hourly_task_scores_then_prunes(org_a, settings):
    settings.TWIN_HEALTH_RETENTION_DAYS = 7
    device = make_device(org_a, "T1")
    _record(device, timezone.now() - timedelta(days=8))
    _record(device, timezone.now() - timedelta(days=6))
    assert tasks.update_health_scores() == {"scored": 0, "pruned": 1}  # no readings: nothing to score
    assert HealthRecord.objects.count() == 1


def test_readings_past_their_retention_are_pruned_and_zero_keeps_them(org_a, org_b, settings):
    from custos.devices.models import Reading
    from custos.devices.services import readings_prune
    from custos.devices.tasks import prune_readings

    now = timezone.now()
    mine, theirs = make_device(org_a, "R1"), make_device(org_b, "R2")
    for device, days, metric in (
        (mine, 400, "value"),
        (mine, 366, "temperature"),
        (mine, 364, "value"),
        (theirs, 500, "value"),
        (theirs, 1, "value"),
    ):
        Reading.objects.create(
            organization_id=device.organization_id,
            device=device,
            timestamp=now - timedelta(days=days),
            metric=metric,
            value=1.0,
        )
    settings.DEVICES_READINGS_RETENTION_DAYS = 0
    assert readings_prune(now=now) == 0 and Reading.objects.count() == 5  # 0: kept for ever
    settings.DEVICES_READINGS_RETENTION_DAYS = 365
    assert readings_prune(now=now) == 3  # 400, 366 (another metric) and 500 days old
    remaining = sorted(round((now - r.timestamp).total_seconds() / 86400) for r in Reading.objects.all())
    assert remaining == [1, 364]
    assert prune_readings() == 0  # the hourly task: nothing more is old enough today
