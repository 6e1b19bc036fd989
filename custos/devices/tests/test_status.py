"""A device's status follows its open alarms (``rules.device_status_refresh``): the default rules
(temperature warning > 80 for 300 s, critical > 95 for 60 s) on constructed series."""

from __future__ import annotations

from datetime import timedelta

import pytest

from custos.devices import rules
from custos.devices.models import AlertRule, Device
from custos.devices.tests.test_rules import _alarms, _ingest

pytestmark = pytest.mark.django_db


def _status(device):
    return Device.objects.get(pk=device.pk).status


def test_a_warning_alarm_makes_the_device_warning_and_clearing_it_makes_it_normal(boiler, helios_boiler):
    _ingest(boiler, [(0, 85.0), (299, 85.0)])
    assert _status(boiler) == "normal"  # held 299 s: no alarm yet
    _ingest(boiler, [(300, 85.0)])
    assert _status(boiler) == "warning"
    assert _status(helios_boiler) == "offline"  # the same key in another organization: untouched (never seen)
    _ingest(boiler, [(360, 70.0)])
    assert [alarm.status for alarm in _alarms()] == ["resolved"]
    assert _status(boiler) == "normal"


def test_critical_wins_over_warning_and_clearing_only_the_critical_leaves_warning(org_a, boiler):
    _ingest(boiler, [(0, 96.0), (60, 96.0)])  # critical after 60 s; warning not yet (300 s)
    assert _status(boiler) == "critical"
    _ingest(boiler, [(300, 96.0)])
    assert sorted(alarm.alert_type for alarm in _alarms(status="open")) == [
        "temperature_critical",
        "temperature_warning",
    ]
    assert _status(boiler) == "critical"
    AlertRule.objects.filter(organization=org_a, name="temperature_critical").update(threshold=100.0)
    _ingest(boiler, [(320, 96.0)])  # 96 no longer > 100: the critical alarm clears, the warning holds
    assert [alarm.alert_type for alarm in _alarms(status="open")] == ["temperature_warning"]
    assert _status(boiler) == "warning"


def test_an_acknowledged_alarm_still_counts(boiler):
    _ingest(boiler, [(0, 96.0), (60, 96.0)])
    [alarm] = _alarms()
    alarm.status = "acknowledged"
    alarm.save(update_fields=["status"])
    rules.device_status_refresh(organization_id=boiler.organization_id, device_keys=["DEVICE_001"])
    assert _status(boiler) == "critical"


def test_no_data_makes_the_device_offline_and_data_brings_back_its_other_alarms(org_a, boiler):
    _ingest(boiler, [(0, 96.0), (60, 96.0)])  # an open critical alarm
    AlertRule.objects.create(
        organization=org_a, name="silent", device=boiler, severity="warning", no_data_minutes=10, threshold=None
    )
    later = Device.objects.get(pk=boiler.pk).last_seen + timedelta(minutes=11)
    assert rules.evaluate_no_data(now=later) == {"raised": 1, "cleared": 0}
    assert _status(boiler) == "offline"
    _ingest(boiler, [(120, 96.0)])  # data again: not offline, and still critical
    assert _status(boiler) == "critical"


def test_deleting_the_rule_of_the_only_alarm_makes_the_device_normal(org_a, boiler):
    _ingest(boiler, [(0, 97.0), (60, 97.0)])
    assert _status(boiler) == "critical"
    rules.rule_delete(
        rules.WriteContext.system(organization_id=org_a.pk),
        AlertRule.objects.get(organization=org_a, name="temperature_critical"),
    )
    assert _status(boiler) == "normal"


def test_refresh_of_no_device_and_of_an_unknown_key_changes_nothing(boiler, helios_boiler):
    Device.objects.filter(pk__in=[boiler.pk, helios_boiler.pk]).update(status="critical")  # no alarm behind it
    rules.device_status_refresh(organization_id=boiler.organization_id, device_keys=[])
    rules.device_status_refresh(organization_id=boiler.organization_id, device_keys=["NOPE"])
    assert (_status(boiler), _status(helios_boiler)) == ("critical", "critical")
    # refreshing the key in one organization leaves the same key of another alone
    rules.device_status_refresh(organization_id=boiler.organization_id, device_keys=["DEVICE_001"])
    assert (_status(boiler), _status(helios_boiler)) == ("normal", "critical")


def test_a_station_heard_from_again_is_no_longer_offline(boiler, helios_boiler):
    """A SQAL station's frames go through ``presence.mark_seen``: an offline device comes back with the
    status its open alarms give; another organization's device with the same key stays as it is."""
    from custos.devices.presence import SeenThrottle, mark_seen

    Device.objects.filter(pk__in=[boiler.pk, helios_boiler.pk]).update(status="offline")
    mark_seen(boiler.pk)
    assert (_status(boiler), _status(helios_boiler)) == ("normal", "offline")
    _ingest(boiler, [(0, 96.0), (60, 96.0)])  # an open critical alarm
    Device.objects.filter(pk=boiler.pk).update(status="offline")
    assert SeenThrottle(boiler.pk).touch() is True
    assert _status(boiler) == "critical"
    Device.objects.filter(pk=boiler.pk).update(status="warning")  # not offline: left as it is
    mark_seen(boiler.pk)
    assert _status(boiler) == "warning"
