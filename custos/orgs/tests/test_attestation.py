"""Clearance and US-person status are attested per organization on the membership.

The defect these tests pin: Helios' OWNER could change the global ``security_clearance_level`` and
``is_us_person`` of a user shared with Northwind, and so change what that user may open in Northwind.
"""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.kernel.context import WriteContext
from custos.kernel.errors import PermissionDenied
from custos.orgs.models import Membership
from custos.orgs.selectors import Attestation, attestation
from custos.orgs.services import membership_attest
from custos.orgs.tests.factories import membership

pytestmark = pytest.mark.django_db

NONE = Attestation(is_us_person=False, clearance_level="UNCLASSIFIED")


def _attest(organization, user, *, level, us):
    Membership.objects.filter(organization=organization, user=user).update(
        security_clearance_level=level, is_us_person=us
    )


@pytest.fixture
def shared(org_a, org_b, amir, adam, bob):
    """amir: MEMBER of Northwind (attested SECRET, US person) and, having accepted, MEMBER of Helios."""
    _attest(org_a, amir, level="SECRET", us=True)
    membership(user=amir, organization=org_b, role="MEMBER")
    return amir


def test_one_tenant_cannot_change_what_a_user_may_see_in_another(client_for, shared, bob, org_a, org_b):
    response = client_for(bob).patch(
        f"/api/users/{shared.pk}/",
        {"security_clearance_level": "TOP_SECRET", "is_us_person": False},
        format="json",
        HTTP_X_ORGANIZATION=str(org_b.pk),
    )
    assert response.status_code == 200, response.content
    assert (response.json()["security_clearance_level"], response.json()["is_us_person"]) == ("TOP_SECRET", False)
    in_b = Membership.objects.get(organization=org_b, user=shared)
    assert (in_b.security_clearance_level, in_b.is_us_person, in_b.attested_by_id) == ("TOP_SECRET", False, bob.pk)
    assert in_b.attested_at is not None
    # Northwind's attestation, and so what amir may open there, is unchanged.
    in_a = Membership.objects.get(organization=org_a, user=shared)
    assert (in_a.security_clearance_level, in_a.is_us_person, in_a.attested_by_id) == ("SECRET", True, None)
    assert attestation(user=shared, organization_id=org_a.pk) == Attestation(True, "SECRET")
    assert attestation(user=shared, organization_id=org_b.pk) == Attestation(False, "TOP_SECRET")
    me_in_a = client_for(shared).get("/api/users/me/", HTTP_X_ORGANIZATION="northwind").json()
    assert (me_in_a["security_clearance_level"], me_in_a["is_us_person"]) == ("SECRET", True)


def test_the_other_tenant_without_a_header_writes_only_its_own(client_for, shared, bob, org_a, org_b):
    # bob belongs to Helios only: the organization in context is Helios.
    response = client_for(bob).patch(f"/api/users/{shared.pk}/", {"is_us_person": False}, format="json")
    assert response.status_code == 200, response.content
    assert Membership.objects.get(organization=org_a, user=shared).is_us_person is True
    # Naming Northwind is refused: bob is not a member there.
    response = client_for(bob).patch(
        f"/api/users/{shared.pk}/",
        {"security_clearance_level": "CONFIDENTIAL"},
        format="json",
        HTTP_X_ORGANIZATION=str(org_a.pk),
    )
    assert response.status_code == 404
    assert attestation(user=shared, organization_id=org_a.pk) == Attestation(True, "SECRET")


def test_admin_attests_a_member_with_audit_row_and_event(
    client_for, adam, amir, org_a, django_capture_on_commit_callbacks, monkeypatch
):
    from custos.events import services as events

    published = []
    original = events.publish
    monkeypatch.setattr(events, "publish", lambda **kw: (published.append(kw), original(**kw)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(adam).patch(
            f"/api/users/{amir.pk}/", {"is_us_person": True, "security_clearance_level": "SECRET"}, format="json"
        )
    assert response.status_code == 200, response.content
    target = Membership.objects.get(organization=org_a, user=amir)
    assert (target.is_us_person, target.security_clearance_level, target.attested_by_id) == (True, "SECRET", adam.pk)
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.resource_id, row.organization_id, row.actor_id) == (
        "ATTEST",
        "Membership",
        str(target.pk),
        org_a.pk,
        str(adam.pk),
    )
    assert row.changes == {
        "is_us_person": {"old": False, "new": True},
        "security_clearance_level": {"old": "UNCLASSIFIED", "new": "SECRET"},
        "attested_by": {"old": None, "new": str(adam.pk)},
        "attested_at": {"old": None, "new": str(target.attested_at)},
    }
    assert [call["event"] for call in published] == ["membership.attest"]


@pytest.mark.parametrize(
    "change",
    [{"is_us_person": True}, {"security_clearance_level": "SECRET"}, {"security_clearance_level": "TOP_SECRET"}],
)
def test_nobody_attests_themselves(client_for, alice, adam, org_a, change):
    for client, path in ((client_for(alice), "/api/users/me/"), (client_for(adam), f"/api/users/{adam.pk}/")):
        assert client.patch(path, change, format="json").status_code == 403
    assert set(Membership.objects.values_list("security_clearance_level", "is_us_person")) == {("UNCLASSIFIED", False)}
    assert AuditLog.objects.count() == 0


def test_not_even_staff_attest_themselves(staff, org_a):
    membership(user=staff, organization=org_a, role="ADMIN")
    with pytest.raises(PermissionDenied):
        membership_attest(
            WriteContext.for_user(staff), user=staff, organization_id=org_a.pk, values={"is_us_person": True}
        )
    assert attestation(user=staff, organization_id=org_a.pk) == NONE


def test_member_and_viewer_cannot_attest(client_for, amir, vera, org_a):
    assert client_for(amir).patch(f"/api/users/{vera.pk}/", {"is_us_person": True}, format="json").status_code == 403
    assert client_for(vera).patch(f"/api/users/{amir.pk}/", {"is_us_person": True}, format="json").status_code == 403
    assert attestation(user=vera, organization_id=org_a.pk) == NONE
    assert attestation(user=amir, organization_id=org_a.pk) == NONE
    assert AuditLog.objects.count() == 0


def test_staff_attest_in_the_organization_they_name(client_for, staff, shared, org_a, org_b):
    client = client_for(staff)
    ambiguous = client.patch(f"/api/users/{shared.pk}/", {"security_clearance_level": "CONFIDENTIAL"}, format="json")
    assert ambiguous.status_code == 400
    assert ambiguous.json() == {  # pipeline's envelope; code ORGANIZATION_REQUIRED in enginel's
        "detail": "Clearance is attested per organization: name the organization in the X-Organization header."
    }
    assert attestation(user=shared, organization_id=org_b.pk) == Attestation(False, "UNCLASSIFIED")
    response = client.patch(
        f"/api/users/{shared.pk}/",
        {"security_clearance_level": "CONFIDENTIAL"},
        format="json",
        HTTP_X_ORGANIZATION="helios",
    )
    assert response.status_code == 200, response.content
    assert attestation(user=shared, organization_id=org_b.pk) == Attestation(False, "CONFIDENTIAL")
    assert attestation(user=shared, organization_id=org_a.pk) == Attestation(True, "SECRET")


def test_bad_values_are_400_and_change_nothing(client_for, adam, amir, org_a):
    response = client_for(adam).patch(f"/api/users/{amir.pk}/", {"security_clearance_level": "COSMIC"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"security_clearance_level"}
    response = client_for(adam).patch(f"/api/users/{amir.pk}/", {"is_us_person": "perhaps"}, format="json")
    assert response.status_code == 400
    assert attestation(user=amir, organization_id=org_a.pk) == NONE


# --- What user responses show ------------------------------------------------------------------


def test_user_responses_show_the_attestation_of_the_organization_in_context(client_for, shared, org_a, org_b, adam):
    _attest(org_b, shared, level="CONFIDENTIAL", us=False)
    client = client_for(shared)
    both = client.get("/api/users/me/").json()
    assert (both["security_clearance_level"], both["is_us_person"]) == (None, None)  # two, no header: null
    in_b = client.get("/api/users/me/", HTTP_X_ORGANIZATION=str(org_b.pk)).json()
    assert (in_b["security_clearance_level"], in_b["is_us_person"]) == ("CONFIDENTIAL", False)
    # adam sees amir through Northwind only: Northwind's attestation.
    seen_by_adam = client_for(adam).get(f"/api/users/{shared.pk}/").json()
    assert (seen_by_adam["security_clearance_level"], seen_by_adam["is_us_person"]) == ("SECRET", True)
    listed = client_for(adam).get("/api/users/", {"security_clearance_level": "SECRET"}).json()["results"]
    assert [row["email"] for row in listed] == [shared.email]


def test_enginel_login_user_shows_the_only_membership(api_client, amir, org_a):
    from conftest import PASSWORD

    _attest(org_a, amir, level="CONFIDENTIAL", us=True)
    body = api_client.post("/api/auth/login/", {"email": amir.email, "password": PASSWORD}, format="json").json()
    assert (body["user"]["security_clearance_level"], body["user"]["is_us_person"]) == ("CONFIDENTIAL", True)


def test_me_echoing_the_attestation_unchanged_is_accepted(client_for, shared, org_a):
    response = client_for(shared).put(
        "/api/users/me/",
        {"first_name": "Am", "security_clearance_level": "SECRET", "is_us_person": True},
        format="json",
        HTTP_X_ORGANIZATION=str(org_a.pk),
    )
    assert response.status_code == 200, response.content
    assert attestation(user=shared, organization_id=org_a.pk) == Attestation(True, "SECRET")


# --- The one selector for export-control checks --------------------------------------------------


def test_attestation_selector(shared, org_a, org_b, staff, bob):
    assert attestation(user=shared, organization_id=org_a.pk) == Attestation(True, "SECRET")
    assert attestation(user=shared, organization_id=str(org_a.pk)) == Attestation(True, "SECRET")
    assert attestation(user=bob, organization_id=org_a.pk) == NONE  # not a member
    assert attestation(user=staff, organization_id=org_a.pk) == NONE  # staff get no implicit clearance
    assert attestation(user=None, organization_id=org_a.pk) == NONE
    org_a.is_active = False
    org_a.save()
    assert attestation(user=shared, organization_id=org_a.pk) == NONE


def test_staff_create_user_with_an_attestation(client_for, staff, org_a):
    response = client_for(staff).post(
        "/api/users/",
        {"email": "ivy@example.org", "organization_id": str(org_a.pk), "security_clearance_level": "SECRET"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = Membership.objects.get(user__email="ivy@example.org")
    assert (created.security_clearance_level, created.attested_by_id) == ("SECRET", staff.pk)
    refused = client_for(staff).post("/api/users/", {"email": "jo@example.org", "is_us_person": True}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()) == {"organization_id"}
