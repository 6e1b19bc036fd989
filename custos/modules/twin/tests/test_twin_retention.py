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
