"""Joining an organization is an invitation the invitee accepts (``add_member`` and ``/invitations/``).

The defect these tests pin: an OWNER of Helios (bob) could add any Northwind user (amir) to Helios by
``user_id`` without consent, and ``add_member`` answered 201 for an existing account and 404 for an
unknown one (account enumeration across tenants).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from custos.audit.models import AuditLog
from custos.orgs.models import Invitation, Membership, Organization

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "00000000-0000-4000-8000-000000000009"
PENDING_KEYS = {"id", "organization", "user", "username", "email", "role", "status", "joined_at", "expires_at"}


def _invite(client, organization, **body):
    return client.post(f"/api/organizations/{organization.pk}/add_member/", body, format="json")


def _token_from(message) -> str:
    found = re.search(r"token: (\S+)", message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def published(monkeypatch):
    from custos.events import services

    calls = []
    original = services.publish

    def recording(**kwargs):
        calls.append(kwargs)
        original(**kwargs)

    monkeypatch.setattr(services, "publish", recording)
    return calls


# --- The defect: no membership without consent, no enumeration ---------------------------------


def test_owner_of_b_cannot_make_a_user_of_a_a_member_of_b(client_for, bob, org_b, amir, org_a):
    response = _invite(client_for(bob), org_b, user_id=str(amir.pk), role="ADMIN")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PENDING_KEYS
    assert (body["status"], body["role"], body["user"], body["email"], body["username"], body["joined_at"]) == (
        "PENDING",
        "ADMIN",
        str(amir.pk),
        None,  # never the address of the account behind the id
        None,
        None,
    )
    assert not Membership.objects.filter(organization=org_b, user=amir).exists()
    assert list(Membership.objects.filter(user=amir).values_list("organization_id", flat=True)) == [org_a.pk]
    # The invitee sees nothing of Helios until they accept.
    assert client_for(amir).get(f"/api/organizations/{org_b.pk}/").status_code == 404
    assert [o["slug"] for o in client_for(amir).get("/api/organizations/").json()["results"]] == ["northwind"]


def test_same_answer_for_an_existing_and_an_unknown_account(client_for, bob, org_b, amir):
    client = client_for(bob)
    known = _invite(client, org_b, user_id=str(amir.pk))
    unknown = _invite(client, org_b, user_id=UNKNOWN_ID)
    assert (known.status_code, unknown.status_code) == (201, 201)
    strip = {"id", "user", "expires_at"}
    assert {k: v for k, v in known.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }
    assert unknown.json()["user"] == UNKNOWN_ID
    by_mail_known = _invite(client, org_b, email="AMIR@northwind.example")
    by_mail_unknown = _invite(client, org_b, email="nobody@nowhere.example")
    assert (by_mail_known.status_code, by_mail_unknown.status_code) == (201, 201)
    assert set(by_mail_known.json()) == set(by_mail_unknown.json()) == PENDING_KEYS
    assert (by_mail_known.json()["email"], by_mail_known.json()["user"]) == ("amir@northwind.example", None)
    assert (by_mail_unknown.json()["email"], by_mail_unknown.json()["user"]) == ("nobody@nowhere.example", None)
    assert Membership.objects.filter(organization=org_b).count() == 1  # bob only


def test_audit_and_event_of_an_invitation_name_only_what_the_inviter_gave(
    client_for, bob, org_b, amir, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client_for(bob), org_b, user_id=str(amir.pk), role="VIEWER")
    invitation = Invitation.objects.get()
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.resource_id, row.organization_id, row.actor_id) == (
        "CREATE",
        "Invitation",
        str(invitation.pk),
        org_b.pk,
        str(bob.pk),
    )
    assert row.changes == {"user_id": str(amir.pk), "email": None, "role": "VIEWER"}
    assert amir.email not in str(row.changes) + row.resource_name
    assert [(call["event"], str(call["organization_id"])) for call in published] == [
        ("invitation.create", str(org_b.pk))
    ]
    assert response.json()["id"] == str(invitation.pk)


def test_the_invitee_gets_a_single_use_link_by_mail(client_for, bob, org_b, amir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(bob), org_b, user_id=str(amir.pk))
        _invite(client_for(bob), org_b, email="newcomer@example.org")
        _invite(client_for(bob), org_b, user_id=UNKNOWN_ID)  # nobody to write to
    assert [message.to for message in mail.outbox] == [["amir@northwind.example"], ["newcomer@example.org"]]
    first = mail.outbox[0]
    assert "Helios Foods" in first.subject
    token = _token_from(first)
    assert f"token={token}" in first.body
    invitation = Invitation.objects.get(invitee=amir)
    assert token not in invitation.token_hash  # only its hash is stored
    assert abs(invitation.expires_at - invitation.created_at - timedelta(days=7)) < timedelta(seconds=5)


# --- Accepting and declining ------------------------------------------------------------------


def test_accept_by_id_makes_the_invitee_a_member(
    client_for, bob, org_b, amir, published, django_capture_on_commit_callbacks
):
    invitation_id = _invite(client_for(bob), org_b, user_id=str(amir.pk), role="MEMBER").json()["id"]
    before = AuditLog.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/accept/")
    assert response.status_code == 200, response.content
    membership = Membership.objects.get(organization=org_b, user=amir)
    assert membership.role == "MEMBER"
    body = response.json()
    assert (body["id"], body["user"], body["email"], body["role"], body["status"]) == (
        str(membership.pk),
        str(amir.pk),
        "amir@northwind.example",
        "MEMBER",
        "ACTIVE",
    )
    assert AuditLog.objects.count() == before + 1
    row = AuditLog.objects.order_by("sequence").last()
    assert (row.action, row.resource_type, row.resource_id, row.organization_id, row.actor_id) == (
        "ACCEPT",
        "Invitation",
        invitation_id,
        org_b.pk,
        str(amir.pk),
    )
    assert row.changes["membership"] == str(membership.pk)
    assert [call["event"] for call in published][-1] == "invitation.accept"
    assert client_for(amir).get(f"/api/organizations/{org_b.pk}/").status_code == 200
    # Single use: a second acceptance changes nothing.
    again = client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/accept/")
    assert again.status_code == 409
    assert Membership.objects.filter(organization=org_b, user=amir).count() == 1


def test_someone_else_cannot_accept_an_invitation(client_for, bob, org_b, amir, alice, vera):
    invitation_id = _invite(client_for(bob), org_b, user_id=str(amir.pk)).json()["id"]
    before = AuditLog.objects.count()
    for intruder in (alice, vera, bob):
        response = client_for(intruder).post(f"/api/organizations/invitations/{invitation_id}/accept/")
        assert response.status_code == 404
    assert client_for(alice).post(f"/api/organizations/invitations/{invitation_id}/decline/").status_code == 404
    assert Membership.objects.filter(organization=org_b).count() == 1
    assert Invitation.objects.get().status == "PENDING"
    assert AuditLog.objects.count() == before


def test_accept_by_token_from_the_mail_once(client_for, bob, org_b, django_capture_on_commit_callbacks):
    from conftest import make_user

    with django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(bob), org_b, email="newcomer@example.org", role="VIEWER")
    token = _token_from(mail.outbox[0])
    newcomer = make_user("newcomer@example.org")  # registers after the invitation
    other = make_user("other@example.org")
    assert client_for(other).post("/api/organizations/invitations/accept/", {"token": token}).status_code == 404
    response = client_for(newcomer).post("/api/organizations/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 200, response.content
    assert Membership.objects.get(organization=org_b, user=newcomer).role == "VIEWER"
    assert not Membership.objects.filter(user=other).exists()
    again = client_for(newcomer).post("/api/organizations/invitations/accept/", {"token": token}, format="json")
    assert again.status_code == 404


def test_token_routes_bad_input(client_for, amir, api_client):
    client = client_for(amir)
    assert client.post("/api/organizations/invitations/accept/", {}, format="json").status_code == 400
    assert client.post("/api/organizations/invitations/accept/", {"token": "forged"}, format="json").status_code == 404
    assert client.post(f"/api/organizations/invitations/{UNKNOWN_ID}/accept/").status_code == 404
    assert client.post("/api/organizations/invitations/not-a-uuid/accept/").status_code == 404
    assert api_client.post("/api/organizations/invitations/accept/", {"token": "x"}).status_code == 401
    assert not Membership.objects.filter(user=amir).exclude(role="MEMBER").exists()


def test_decline_by_id_and_by_token(client_for, bob, org_b, amir, adam, django_capture_on_commit_callbacks):
    client = client_for(bob)
    first = _invite(client, org_b, user_id=str(amir.pk)).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, org_b, user_id=str(adam.pk))
    token = _token_from(mail.outbox[-1])
    response = client_for(amir).post(f"/api/organizations/invitations/{first}/decline/")
    assert response.status_code == 200
    assert response.json()["status"] == "DECLINED"
    response = client_for(adam).post("/api/organizations/invitations/decline/", {"token": token}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "DECLINED")
    assert Membership.objects.filter(organization=org_b).count() == 1
    assert [r.action for r in AuditLog.objects.filter(resource_type="Invitation").order_by("sequence")] == [
        "CREATE",
        "CREATE",
        "DECLINE",
        "DECLINE",
    ]
    assert client_for(amir).post(f"/api/organizations/invitations/{first}/accept/").status_code == 409


def test_expired_invitation_cannot_be_accepted(client_for, bob, org_b, amir):
    invitation_id = _invite(client_for(bob), org_b, user_id=str(amir.pk)).json()["id"]
    Invitation.objects.filter(pk=invitation_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/accept/")
    assert response.status_code == 409
    assert not Membership.objects.filter(organization=org_b, user=amir).exists()


# --- Revoking ---------------------------------------------------------------------------------


def test_owner_revokes_and_the_invitation_is_dead(client_for, bob, org_b, amir, alice):
    invitation_id = _invite(client_for(bob), org_b, user_id=str(amir.pk)).json()["id"]
    # Northwind's OWNER cannot touch Helios' invitation; the invitee cannot revoke it either.
    assert client_for(alice).post(f"/api/organizations/invitations/{invitation_id}/revoke/").status_code == 404
    assert client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/revoke/").status_code == 404
    assert Invitation.objects.get().status == "PENDING"
    response = client_for(bob).post(f"/api/organizations/invitations/{invitation_id}/revoke/")
    assert (response.status_code, response.json()["status"]) == (200, "REVOKED")
    row = AuditLog.objects.order_by("sequence").last()
    assert (row.action, row.resource_type, row.actor_id) == ("REVOKE", "Invitation", str(bob.pk))
    assert client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/accept/").status_code == 409
    assert not Membership.objects.filter(organization=org_b, user=amir).exists()


def test_a_member_cannot_revoke(client_for, alice, org_a, amir, bob):
    invitation_id = _invite(client_for(alice), org_a, user_id=str(bob.pk)).json()["id"]
    response = client_for(amir).post(f"/api/organizations/invitations/{invitation_id}/revoke/")
    assert response.status_code == 403
    assert Invitation.objects.get().status == "PENDING"


# --- Who sees pending invitations ---------------------------------------------------------------


def test_invitee_lists_their_own_pending_invitations(client_for, bob, org_b, amir, alice, org_a):
    client_b = client_for(bob)
    _invite(client_b, org_b, user_id=str(amir.pk), role="VIEWER")
    _invite(client_b, org_b, email=alice.email)  # alice's address is not confirmed: only the mailed link
    response = client_for(amir).get("/api/organizations/invitations/")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["organization"], row["organization_name"], row["role"], row["status"], row["invited_by"]) == (
        str(org_b.pk),
        "Helios Foods",
        "VIEWER",
        "PENDING",
        "bob@helios.example",
    )
    assert client_for(alice).get("/api/organizations/invitations/").json() == []
    type(alice).objects.filter(pk=alice.pk).update(email_confirmed=True)
    assert [r["organization_name"] for r in client_for(alice).get("/api/organizations/invitations/").json()] == [
        "Helios Foods"
    ]
    assert client_for(bob).get("/api/organizations/invitations/").json() == []


def test_pending_rows_in_members_list_only_for_owner_and_admin(client_for, alice, adam, amir, org_a, bob):
    _invite(client_for(alice), org_a, user_id=str(bob.pk), role="VIEWER")
    rows = client_for(adam).get(f"/api/organizations/{org_a.pk}/members/").json()
    assert [(row["email"], row["status"]) for row in rows] == [
        ("alice@northwind.example", "ACTIVE"),
        ("adam@northwind.example", "ACTIVE"),
        ("amir@northwind.example", "ACTIVE"),
        (None, "PENDING"),
    ]
    assert rows[-1]["user"] == str(bob.pk)
    assert all(set(row) == PENDING_KEYS for row in rows)
    as_member = client_for(amir).get(f"/api/organizations/{org_a.pk}/members/").json()
    assert [row["status"] for row in as_member] == ["ACTIVE", "ACTIVE", "ACTIVE"]
    listed = client_for(alice).get(f"/api/organizations/{org_a.pk}/").json()
    assert listed["member_count"] == 3


def test_max_users_counts_pending_invitations_whoever_they_name(client_for, bob, org_b, amir):
    Organization.objects.filter(pk=org_b.pk).update(max_users=2)
    client = client_for(bob)
    assert _invite(client, org_b, user_id=UNKNOWN_ID).status_code == 201  # counts like any other
    response = _invite(client, org_b, user_id=str(amir.pk))
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["limit"], body["current"]) == ("ORGANIZATION_LIMIT_EXCEEDED", 2, 2)
    assert Invitation.objects.count() == 1


def test_bad_input_duplicates_and_roles(client_for, alice, adam, org_a, amir, bob):
    client = client_for(alice)
    response = _invite(client, org_a, role="KING")
    assert (response.status_code, set(response.json()["field_errors"])) == (400, {"role"})
    response = _invite(client, org_a, role="MEMBER")
    assert (response.status_code, set(response.json()["field_errors"])) == (400, {"user_id"})
    assert _invite(client, org_a, user_id="not-a-uuid").status_code == 400
    assert _invite(client, org_a, email=amir.email).status_code == 409  # already a member
    assert _invite(client, org_a, user_id=str(bob.pk)).status_code == 201
    assert _invite(client, org_a, user_id=str(bob.pk)).status_code == 409  # already pending
    assert _invite(client_for(adam), org_a, email="x@example.org", role="OWNER").status_code == 403
    assert Invitation.objects.count() == 1


def test_member_and_viewer_cannot_invite(client_for, amir, vera, org_a, bob):
    for persona in (amir, vera):
        assert _invite(client_for(persona), org_a, user_id=str(bob.pk)).status_code == 403
    assert Invitation.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_cross_organization_invite_is_404(client_for, alice, org_b, bob, amir):
    response = _invite(client_for(alice), org_b, user_id=str(amir.pk))
    assert response.status_code == 404
    assert Invitation.objects.count() == 0


def test_sqal_form_of_add_member(client_for, alice, org_a):
    response = client_for(alice).post(
        f"/api/organizations/{org_a.pk}/add_member/?limit=1", {"email": "q@example.org"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["message"] == "Invitation sent"
    assert response.json()["data"]["status"] == "PENDING"


def test_invitation_ids_are_uuids(client_for, alice, org_a):
    body = _invite(client_for(alice), org_a, email="u@example.org").json()
    assert uuid.UUID(body["id"])
