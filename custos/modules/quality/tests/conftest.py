from __future__ import annotations

import pytest

from custos.devices.services import device_token_issue
from custos.kernel.context import WriteContext


@pytest.fixture
def station(alice, org_a):
    """SQAL_001 of Northwind with its device token."""
    issued = device_token_issue(WriteContext.for_user(alice, organization_id=org_a.id), device_id="SQAL_001")
    return issued.device, issued.token


@pytest.fixture
def helios_station(bob, org_b):
    issued = device_token_issue(WriteContext.for_user(bob, organization_id=org_b.id), device_id="SQAL_001")
    return issued.device, issued.token


@pytest.fixture
def token_for():
    from rest_framework_simplejwt.tokens import RefreshToken

    return lambda user: str(RefreshToken.for_user(user).access_token)
