"""``organization_ids_for_user``: the ORM's answer, from a statement compiled once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from custos.orgs import selectors
from custos.orgs.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_the_ids_are_the_active_memberships_in_the_orm_order():
    user = get_user_model().objects.create_user(email="ids@example.com", password="x")
    other = get_user_model().objects.create_user(email="other@example.com", password="x")
    names = ("one", "two", "closed", "three")
    orgs = [Organization.objects.create(name=n, slug=n, is_active=n != "closed") for n in names]
    for organization in orgs:
        Membership.objects.create(organization=organization, user=user)
    Membership.objects.create(organization=Organization.objects.create(name="x", slug="x"), user=other)
    expected = list(
        Membership.objects.filter(user=user, organization__is_active=True).values_list("organization_id", flat=True)
    )
    assert len(expected) == 3
    assert selectors.organization_ids_for_user(user=get_user_model().objects.get(pk=user.pk)) == expected
    assert selectors.organization_ids_for_user(user=AnonymousUser()) == []
    stranger = get_user_model().objects.create_user(email="none@example.com", password="x")
    assert selectors.organization_ids_for_user(user=stranger) == []
    assert selectors._organization_ids_sql.cache_info().currsize == 1
