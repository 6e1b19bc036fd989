"""Which organizations a request sees (reads) and writes into."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from custos.orgs.models import Membership, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs():
    north = Organization.objects.create(name="North", slug="north")
    south = Organization.objects.create(name="South", slug="south")
    other = Organization.objects.create(name="Other", slug="other")
    closed = Organization.objects.create(name="Closed", slug="closed", is_active=False)
    return north, south, other, closed


def _request(user, header: str | None = None):
    request = APIRequestFactory().get("/", HTTP_X_ORGANIZATION=header) if header else APIRequestFactory().get("/")
    request.user = user
    return request


def _user(email: str):
    return get_user_model().objects.create_user(email=email, password="x")


def test_member_of_one_sees_and_writes_into_it(orgs):
    north, *_ = orgs
    user = _user("one@example.com")
    Membership.objects.create(organization=north, user=user)
    assert visible_org_ids(_request(user)) == [north.id]
    assert current_organization_id(_request(user)) == north.id


def test_member_of_several_reads_all_and_must_name_one_to_write(orgs):
    north, south, _other, closed = orgs
    user = _user("two@example.com")
    for organization in (north, south, closed):
        Membership.objects.create(organization=organization, user=user)
    assert set(visible_org_ids(_request(user))) == {north.id, south.id}, "inactive organizations are hidden"
    with pytest.raises(ValidationFailed, match="name one in the X-Organization header"):
        current_organization_id(_request(user))
    assert current_organization_id(_request(user, str(south.id))) == south.id
    assert visible_org_ids(_request(user, "north")) == [north.id]


@pytest.mark.parametrize("header", ["other", "no-such-org", "00000000-0000-0000-0000-000000000000"])
def test_naming_a_foreign_or_unknown_organization_is_not_found(orgs, header):
    north, *_ = orgs
    user = _user("three@example.com")
    Membership.objects.create(organization=north, user=user)
    with pytest.raises(NotFound):
        visible_org_ids(_request(user, header))


def test_outsiders_see_nothing_and_cannot_write(orgs):
    assert visible_org_ids(_request(AnonymousUser())) == []
    loner = _user("loner@example.com")
    assert visible_org_ids(_request(loner)) == []
    with pytest.raises(PermissionDenied, match=r"You do not belong to any organization\."):
        current_organization_id(_request(loner))
