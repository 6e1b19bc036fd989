"""Test builders for organizations and memberships (plain functions: see ``tests/factories.py``)."""

from __future__ import annotations

import itertools
from typing import Any

from custos.orgs.choices import Role
from custos.orgs.models import Membership, Organization

_sequence = itertools.count(1)


def organization(*, name: str | None = None, slug: str | None = None, **values: Any) -> Organization:
    """A saved organization; name and slug are unique unless given."""
    number = next(_sequence)
    name = name or f"Organization {number}"
    return Organization.objects.create(name=name, slug=slug or f"org-{number}", **values)


def membership(*, user: Any, organization: Organization, role: str = Role.MEMBER) -> Membership:
    """``user`` joins ``organization`` with ``role`` (OWNER, ADMIN, MEMBER or VIEWER)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}: choose among {', '.join(Role.values)}")
    return Membership.objects.create(organization=organization, user=user, role=role)
