"""Periodic housekeeping of credentials (scheduled daily by migration 0003)."""

from __future__ import annotations

from celery import shared_task

from custos.identity.services import credentials_purge_expired


@shared_task(name="custos.identity.purge_expired_credentials")
def purge_expired_credentials() -> dict[str, int]:
    return credentials_purge_expired()
