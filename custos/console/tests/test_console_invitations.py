"""Invitations from the console's members page: the API's service and rules (OWNER/ADMIN invite, only an
OWNER grants OWNER), the invitee mailed, and the refusals with nothing stored."""

from __future__ import annotations

import pytest
from django.core import mail

from custos.audit.models import AuditLog
from custos.console.tests.test_console import logged_in
from custos.orgs.models import Invitation

pytestmark = pytest.mark.django_db

INVITE = "/console/admin/members/invite/"


def test_an_admin_invites_by_email_the_invitation_is_stored_audited_and_mailed(
    org_a, adam, org_b, django_capture_on_commit_callbacks
):
    client = logged_in(adam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INVITE, {"email": "New.Person@Example.org", "role": "MEMBER"})
    assert (response.status_code, response["Location"]) == (302, "/console/admin/members/?invited=1")
    [invitation] = Invitation.objects.all()
    assert (invitation.organization_id, invitation.invited_email, invitation.role, invitation.invited_by_id) == (
        org_a.pk,
        "new.person@example.org",
        "MEMBER",
        adam.pk,
    )
    assert AuditLog.objects.filter(resource_type="Invitation", action="CREATE", organization_id=org_a.pk).count() == 1
    assert [message.to for message in mail.outbox] == [["new.person@example.org"]]
    page = client.get("/console/admin/members/?invited=1").content.decode()
    assert "Invitation sent." in page
    assert "new.person@example.org" in page
    assert not Invitation.objects.filter(organization=org_b).exists()


def test_only_an_owner_grants_owner(org_a, adam, alice):
    refused = logged_in(adam).post(INVITE, {"email": "boss@example.org", "role": "OWNER"})
    assert refused.status_code == 403
    assert "Not invited:" in refused.content.decode()
    assert not Invitation.objects.exists()
    assert logged_in(alice).post(INVITE, {"email": "boss@example.org", "role": "OWNER"}).status_code == 302
    assert Invitation.objects.get().role == "OWNER"


def test_a_member_or_viewer_cannot_invite_and_sees_no_form(org_a, amir, vera):
    for user in (amir, vera):
        client = logged_in(user)
        assert 'action="/console/admin/members/invite/"' not in client.get("/console/admin/members/").content.decode()
        assert client.post(INVITE, {"email": "x@example.org", "role": "VIEWER"}).status_code == 403
    assert not Invitation.objects.exists()
    assert not AuditLog.objects.filter(resource_type="Invitation").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-address", "role": "MEMBER"},
        {"email": "", "role": "MEMBER"},
        {"email": "x@example.org", "role": "EMPEROR"},
        {"email": "x" * 250 + "@example.org", "role": "MEMBER"},
    ],
)
def test_bad_input_is_400_and_nothing_is_stored(org_a, alice, data):
    response = logged_in(alice).post(INVITE, data)
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_existing_member_is_a_conflict(org_a, alice, amir):
    response = logged_in(alice).post(INVITE, {"email": amir.email, "role": "MEMBER"})
    assert response.status_code == 409
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()
