"""``/api/users/`` (pipeline + enginel) and ``/api/admin/users/`` (sqal)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from conftest import make_user
from custos.api.testing import CrossTenantMixin, TenantRoute
from custos.audit.models import AuditLog
from custos.orgs.models import Membership
from custos.orgs.selectors import Attestation, attestation

pytestmark = pytest.mark.django_db
User = get_user_model()


class TestUsersAcrossTenants(CrossTenantMixin):
    routes = (TenantRoute(list="/api/users/", detail="/api/users/{id}/", write_methods=("patch", "put")),)

    @pytest.fixture
    def tenant_user(self, adam):
        return adam  # an ADMIN: may change clearance of own members, never of others

    @pytest.fixture
    def own_object(self, amir):
        return amir

    @pytest.fixture
    def foreign_object(self, bob):
        return bob

    def snapshot(self, obj):
        obj = User.objects.get(pk=obj.pk)
        attested = sorted(obj.memberships.values_list("organization_id", "is_us_person", "security_clearance_level"))
        return (obj.email, obj.is_active, obj.first_name, attested)


def test_list_union_shape(client_for, alice, amir, bob):
    response = client_for(alice).get("/api/users/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    emails = [row["email"] for row in body["results"]]
    assert emails == ["alice@northwind.example", "amir@northwind.example"]
    row = body["results"][0]
    assert row["organization"] == "Northwind Energy"
    assert row["organizations"] == [
        {
            "organization_id": str(alice.memberships.get().organization_id),
            "organization_name": "Northwind Energy",
            "role": "OWNER",
        }
    ]
    assert (row["is_us_person"], row["security_clearance_level"], row["full_name"]) == (False, "UNCLASSIFIED", "Alice")


def test_staff_see_everyone(client_for, staff, alice, bob):
    body = client_for(staff).get("/api/users/").json()
    assert {row["email"] for row in body["results"]} == {
        "alice@northwind.example",
        "bob@helios.example",
        "staff@custos.example",
    }


def test_filters_search_ordering_and_fields(client_for, staff, alice, amir, bob):
    client = client_for(staff)
    assert [r["email"] for r in client.get("/api/users/", {"search": "helios"}).json()["results"]] == [
        "bob@helios.example"
    ]
    assert [r["email"] for r in client.get("/api/users/", {"is_staff": "true"}).json()["results"]] == [
        "staff@custos.example"
    ]
    ordered = client.get("/api/users/", {"ordering": "-email"}).json()["results"]
    assert ordered[0]["email"] == "staff@custos.example"
    assert client.get("/api/users/", {"fields": "id,email"}).json()["results"][0].keys() == {"id", "email"}


def test_me_for_everyone_and_profile_update(client_for, vera):
    client = client_for(vera)
    assert client.get("/api/users/me/").json()["email"] == "vera@northwind.example"
    response = client.put("/api/users/me/", {"first_name": "Veronica", "phone_number": "+1-555-0100"}, format="json")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["phone_number"]) == ("Veronica", "+1-555-0100")
    row = AuditLog.objects.get()
    assert (row.action, row.actor_id, row.resource_id) == ("UPDATE", str(vera.pk), str(vera.pk))
    assert row.changes == {
        "first_name": {"old": "Vera", "new": "Veronica"},
        "phone_number": {"old": "", "new": "+1-555-0100"},
    }


@pytest.mark.parametrize(
    "change", [{"is_us_person": True}, {"security_clearance_level": "SECRET"}, {"is_staff": True}, {"is_active": False}]
)
def test_nobody_raises_their_own_privileges(client_for, alice, org_a, change):
    response = client_for(alice).patch("/api/users/me/", change, format="json")
    assert response.status_code == 403
    alice.refresh_from_db()
    assert (alice.is_staff, alice.is_active) == (False, True)
    assert attestation(user=alice, organization_id=org_a.pk) == Attestation(False, "UNCLASSIFIED")
    assert AuditLog.objects.count() == 0


def test_me_echoing_unchanged_fields_is_accepted(client_for, alice):
    response = client_for(alice).put(
        "/api/users/me/", {"first_name": "Al", "is_us_person": False, "email": alice.email}, format="json"
    )
    assert response.status_code == 200


def test_org_admin_sets_clearance_of_a_member(client_for, adam, amir, org_a):
    response = client_for(adam).patch(
        f"/api/users/{amir.pk}/", {"is_us_person": True, "security_clearance_level": "SECRET"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["is_us_person"], response.json()["security_clearance_level"]) == (True, "SECRET")
    assert attestation(user=amir, organization_id=org_a.pk) == Attestation(True, "SECRET")
    membership = Membership.objects.get(user=amir)
    row = AuditLog.objects.get()
    assert (row.action, row.actor_id, row.resource_type, row.resource_id) == (
        "ATTEST",
        str(adam.pk),
        "Membership",
        str(membership.pk),
    )
    assert (row.changes["is_us_person"], row.changes["security_clearance_level"]) == (
        {"old": False, "new": True},
        {"old": "UNCLASSIFIED", "new": "SECRET"},
    )


def test_org_admin_cannot_change_other_account_fields(client_for, adam, amir):
    response = client_for(adam).patch(f"/api/users/{amir.pk}/", {"email": "evil@example.com"}, format="json")
    assert response.status_code == 403
    amir.refresh_from_db()
    assert amir.email == "amir@northwind.example"


def test_member_cannot_set_clearance(client_for, amir, vera, org_a):
    response = client_for(amir).patch(f"/api/users/{vera.pk}/", {"security_clearance_level": "SECRET"}, format="json")
    assert response.status_code == 403
    assert attestation(user=vera, organization_id=org_a.pk).clearance_level == "UNCLASSIFIED"
    assert AuditLog.objects.count() == 0


def test_admin_cannot_set_own_clearance_through_detail(client_for, adam, org_a):
    response = client_for(adam).patch(
        f"/api/users/{adam.pk}/", {"security_clearance_level": "TOP_SECRET"}, format="json"
    )
    assert response.status_code == 403
    assert attestation(user=adam, organization_id=org_a.pk).clearance_level == "UNCLASSIFIED"
    assert AuditLog.objects.count() == 0


def test_bad_clearance_value_is_400(client_for, staff, amir):
    response = client_for(staff).patch(f"/api/users/{amir.pk}/", {"security_clearance_level": "COSMIC"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"security_clearance_level"}


def test_staff_create_user_into_an_organization(client_for, staff, org_a):
    response = client_for(staff).post(
        "/api/users/",
        {
            "email": "New@Example.com",
            "password": "a-long-enough-pass-2026",
            "organization_id": str(org_a.pk),
            "role": "VIEWER",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a-long-enough-pass-2026")
    assert Membership.objects.get(user=user).role == "VIEWER"
    assert response.json()["organizations"][0]["role"] == "VIEWER"
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.organization_id, row.actor_id) == (
        "CREATE",
        "User",
        org_a.pk,
        str(staff.pk),
    )
    assert "password" not in row.changes


def test_create_respects_max_users(client_for, staff, org_a, alice):
    org_a.max_users = 1
    org_a.save()
    response = client_for(staff).post(
        "/api/users/", {"email": "x@example.com", "organization_id": str(org_a.pk)}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Organization 'Northwind Energy' allows at most 1 users")
    assert not User.objects.filter(email="x@example.com").exists()


def test_create_weak_password_and_duplicate(client_for, staff, alice):
    client = client_for(staff)
    weak = client.post("/api/users/", {"email": "w@example.com", "password": "123"}, format="json")
    assert weak.status_code == 400
    assert set(weak.json()) == {"password"}
    duplicate = client.post("/api/users/", {"email": "ALICE@northwind.example"}, format="json")
    assert duplicate.status_code == 409
    assert User.objects.filter(email__in=["w@example.com"]).count() == 0


def test_non_staff_cannot_create_delete_or_deactivate(client_for, alice, amir):
    client = client_for(alice)
    assert client.post("/api/users/", {"email": "z@example.com"}, format="json").status_code == 403
    assert client.delete(f"/api/users/{amir.pk}/").status_code == 403
    assert client.post(f"/api/users/{amir.pk}/deactivate/").status_code == 403
    amir.refresh_from_db()
    assert amir.is_active
    assert not User.objects.filter(email="z@example.com").exists()
    assert AuditLog.objects.count() == 0


def test_staff_activate_deactivate_delete(client_for, staff, amir):
    client = client_for(staff)
    response = client.post(f"/api/users/{amir.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json() == {"id": str(amir.pk), "is_active": False}
    assert client.post(f"/api/users/{amir.pk}/activate/").json()["is_active"] is True
    assert client.delete(f"/api/users/{amir.pk}/").status_code == 204
    assert not User.objects.filter(pk=amir.pk).exists()
    assert [r.action for r in AuditLog.objects.order_by("sequence")] == ["DEACTIVATE", "ACTIVATE", "DELETE"]


def test_staff_cannot_deactivate_or_delete_themselves(client_for, staff):
    client = client_for(staff)
    assert client.post(f"/api/users/{staff.pk}/deactivate/").status_code == 403
    assert client.delete(f"/api/users/{staff.pk}/").status_code == 403
    staff.refresh_from_db()
    assert staff.is_active


def test_staff_cannot_grant_staff(client_for, staff, amir):
    response = client_for(staff).patch(f"/api/users/{amir.pk}/", {"is_staff": True}, format="json")
    assert response.status_code == 403
    amir.refresh_from_db()
    assert not amir.is_staff


def test_list_query_count_does_not_grow(client_for, alice, org_a, django_assert_num_queries):
    client = client_for(alice)
    client.get("/api/users/")
    for index in range(6):
        make_user(f"u{index}@northwind.example", organization=org_a)
    with django_assert_num_queries(5):  # user, visible orgs, count, page, memberships (prefetch)
        response = client.get("/api/users/")
    assert response.json()["count"] == 7


# --- sqal /api/admin/users/ -----------------------------------------------------------------


def test_admin_users_is_staff_only(client_for, alice):
    response = client_for(alice).get("/api/admin/users/")
    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


def test_admin_users_list_and_detail_in_sqal_shape(client_for, staff, alice):
    client = client_for(staff)
    body = client.get("/api/admin/users/", {"limit": 1}).json()
    assert body["pagination"] == {
        "totalItems": 2,
        "totalPages": 2,
        "currentPage": 1,
        "hasPrevious": False,
        "hasNext": True,
    }
    assert body["items"][0]["email"] == "alice@northwind.example"
    assert "securityClearanceLevel" in body["items"][0]
    detail = client.get(f"/api/admin/users/{alice.pk}").json()
    assert (detail["message"], detail["data"]["firstName"]) == ("Success", "Alice")


def test_admin_users_create_patch_delete(client_for, staff, org_a):
    client = client_for(staff)
    created = client.post(
        "/api/admin/users/",
        {"email": "carol@example.com", "firstName": "Carol", "organizationId": str(org_a.pk)},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["message"], body["data"]["firstName"], body["data"]["organization"]) == (
        "User created",
        "Carol",
        "Northwind Energy",
    )
    user_id = body["data"]["id"]
    patched = client.patch(f"/api/admin/users/{user_id}", {"securityClearanceLevel": "CONFIDENTIAL"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["data"]["securityClearanceLevel"] == "CONFIDENTIAL"
    deleted = client.delete(f"/api/admin/users/{user_id}")
    assert deleted.json() == {"data": {"id": user_id}, "message": "User deleted"}
    # The clearance is Northwind's attestation (carol's only organization): an ATTEST of her membership.
    assert [r.action for r in AuditLog.objects.order_by("sequence")] == ["CREATE", "ATTEST", "DELETE"]


def test_admin_users_validation_is_422(client_for, staff):
    response = client_for(staff).post("/api/admin/users/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]
    assert User.objects.count() == 1


def test_admin_users_unknown_is_404(client_for, staff):
    assert client_for(staff).get("/api/admin/users/00000000-0000-4000-8000-000000000001").status_code == 404


def test_admin_users_query_count(client_for, staff, org_a, django_assert_num_queries):
    client = client_for(staff)
    client.get("/api/admin/users/")
    for index in range(4):
        make_user(f"q{index}@northwind.example", organization=org_a)
    with django_assert_num_queries(4):  # user, count, page, memberships
        client.get("/api/admin/users/")


# --- Nothing of a foreign organization reaches a member through a user ----------------------


def _in_both(org_a, bob):
    Membership.objects.create(organization=org_a, user=bob, role="VIEWER")  # bob: OWNER of Helios, VIEWER here
    return bob


@pytest.mark.parametrize(
    "path",
    [
        "/api/users/",
        "/api/users/{bob}/",
        "/api/users/?organization={org_b}",
        "/api/users/?role=OWNER",
        "/api/users/?search=bob",
    ],
)
def test_a_member_never_sees_a_foreign_organization_through_a_shared_user(client_for, alice, org_a, org_b, bob, path):
    _in_both(org_a, bob)
    response = client_for(alice).get(path.format(bob=bob.pk, org_b=org_b.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert str(org_b.pk) not in text and "Helios" not in text
    body = response.json()
    rows = body.get("results", [body]) if isinstance(body, dict) else body
    for row in rows:
        assert {item["organization_name"] for item in row["organizations"]} <= {"Northwind Energy"}
        if row["email"] == bob.email:
            assert row["organizations"] == [
                {"organization_id": str(org_a.pk), "organization_name": "Northwind Energy", "role": "VIEWER"}
            ]
            assert row["organization"] == "Northwind Energy"


def test_filters_on_a_foreign_organization_find_nobody(client_for, alice, org_a, org_b, bob):
    _in_both(org_a, bob)
    client = client_for(alice)
    assert client.get("/api/users/", {"organization": str(org_b.pk)}).json()["count"] == 0
    owners = client.get("/api/users/", {"role": "OWNER"}).json()["results"]
    assert [row["email"] for row in owners] == ["alice@northwind.example"]  # bob is OWNER only in Helios
    members = client.get("/api/users/", {"organization": str(org_a.pk)}).json()["results"]
    assert {row["email"] for row in members} == {"alice@northwind.example", "bob@helios.example"}
    assert client.get("/api/users/", {"organization": "not-a-uuid"}).status_code == 400


def test_staff_see_every_organization_of_a_user(client_for, staff, org_a, org_b, bob):
    _in_both(org_a, bob)
    row = client_for(staff).get(f"/api/users/{bob.pk}/").json()
    assert {item["organization_name"] for item in row["organizations"]} == {"Helios Foods", "Northwind Energy"}
    admin = client_for(staff).get(f"/api/admin/users/{bob.pk}").json()["data"]
    assert len(admin["organizations"]) == 2


def test_me_shows_all_of_ones_own_organizations(client_for, org_a, org_b, bob):
    _in_both(org_a, bob)
    row = client_for(bob).get("/api/users/me/").json()
    assert {item["organization_name"] for item in row["organizations"]} == {"Helios Foods", "Northwind Energy"}
