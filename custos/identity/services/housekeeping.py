"""Purging credentials no request can use any more."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from custos.identity.models import AuthSession, LoginFailure
from custos.ops.models import SystemSettings


def credentials_purge_expired(*, keep_days: int = 30) -> dict[str, int]:
    """Delete what can no longer be used: expired blacklist/outstanding tokens, sessions ended or
    expired more than ``keep_days`` ago, and failure counters whose cool-off is long over. Idempotent.

    Not audited: it removes no live credential, only records that no request can use any more.
    """
    now = timezone.now()
    horizon = now - timedelta(days=keep_days)
    config = SystemSettings.load()
    stale_failures = now - timedelta(minutes=config.lockout_minutes) - timedelta(days=1)
    with transaction.atomic():
        _, tokens = OutstandingToken.objects.filter(expires_at__lt=now).delete()
        sessions, _ = AuthSession.objects.filter(Q(expires_at__lt=horizon) | Q(revoked_at__lt=horizon)).delete()
        failures, _ = (
            LoginFailure.objects.filter(last_failure_at__lt=stale_failures)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .delete()
        )
    return {
        "tokens": tokens.get("token_blacklist.OutstandingToken", 0),
        "sessions": sessions,
        "login_failures": failures,
    }
