from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from custos.identity.models import AuthSession, LoginFailure
from custos.identity.tasks import purge_expired_credentials

pytestmark = pytest.mark.django_db


def test_the_purge_removes_only_what_cannot_be_used(alice, login):
    login(alice)
    now = timezone.now()
    live = AuthSession.objects.get()
    old = AuthSession.objects.create(user=alice, expires_at=now - timedelta(days=31))
    OutstandingToken.objects.create(user=alice, jti="old", token="x", expires_at=now - timedelta(seconds=1))
    LoginFailure.objects.create(
        identifier="a", ip_address="1.2.3.4", failures=2, last_failure_at=now - timedelta(days=3)
    )
    locked = LoginFailure.objects.create(
        identifier="b", ip_address="1.2.3.4", failures=5, last_failure_at=now, locked_until=now + timedelta(minutes=5)
    )
    assert purge_expired_credentials() == {"tokens": 1, "sessions": 1, "login_failures": 1}
    assert list(AuthSession.objects.all()) == [live]
    assert not AuthSession.objects.filter(pk=old.pk).exists()
    assert list(LoginFailure.objects.all()) == [locked]
    assert purge_expired_credentials() == {"tokens": 0, "sessions": 0, "login_failures": 0}


def test_the_purge_is_scheduled_daily(db):
    task = PeriodicTask.objects.get(task="custos.identity.purge_expired_credentials")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "days")
