import pytest
from django.db import IntegrityError

from custos.ops.models import SystemSettings

pytestmark = pytest.mark.django_db


def test_load_creates_one_record_with_the_documented_defaults():
    record = SystemSettings.load()
    assert (record.failed_login_lockout, record.analysis_confidence_threshold, record.api_rate_limit) == (5, 0.8, 1000)
    assert SystemSettings.load().pk == record.pk
    assert SystemSettings.objects.count() == 1


def test_a_saved_change_is_seen_by_the_next_load():
    record = SystemSettings.load()
    record.failed_login_lockout = 3
    record.save()
    assert SystemSettings.load().failed_login_lockout == 3


def test_there_is_only_ever_one_record():
    SystemSettings.load()
    with pytest.raises(IntegrityError):
        SystemSettings.objects.create()
