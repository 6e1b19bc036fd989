"""Limits other modules rely on: storage and users per organization; subscriptions."""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.kernel.context import WriteContext
from custos.kernel.errors import LimitExceeded
from custos.orgs.services import (
    organization_check_storage,
    organization_check_users,
    organization_set_subscription,
    organization_storage_consume,
)

pytestmark = pytest.mark.django_db
GB = 1024**3


def test_storage_limit(org_a):
    organization_check_storage(org_a, 10 * GB)  # exactly the limit fits
    organization_storage_consume(organization=org_a, delta_bytes=4 * GB)
    with pytest.raises(LimitExceeded) as caught:
        organization_check_storage(org_a, 6 * GB + 1)
    assert (caught.value.code, caught.value.extra["used_bytes"]) == ("ORGANIZATION_LIMIT_EXCEEDED", 4 * GB)
    with pytest.raises(LimitExceeded):
        organization_storage_consume(organization=org_a, delta_bytes=7 * GB)
    org_a.refresh_from_db()
    assert org_a.storage_used_bytes == 4 * GB
    organization_storage_consume(organization=org_a, delta_bytes=-5 * GB)
    org_a.refresh_from_db()
    assert org_a.storage_used_bytes == 0


def test_user_limit(org_a, alice, adam):
    org_a.max_users = 2
    organization_check_users(org_a, 0)
    with pytest.raises(LimitExceeded):
        organization_check_users(org_a, 1)


def test_subscription_sets_tier_limits_and_is_audited(org_a, staff, client_for, alice):
    organization_set_subscription(WriteContext.for_user(staff), organization=org_a, tier="PROFESSIONAL")
    org_a.refresh_from_db()
    assert (org_a.subscription_tier, org_a.max_users, org_a.max_storage_gb) == ("PROFESSIONAL", 50, 500)
    row = AuditLog.objects.get()
    assert (row.organization_id, row.changes["max_users"]) == (org_a.pk, {"old": 10, "new": 50})
    body = client_for(alice).get(f"/api/organizations/{org_a.pk}/").json()
    assert body["max_storage_gb"] == 500
