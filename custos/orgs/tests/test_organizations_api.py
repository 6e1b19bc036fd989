"""``/api/organizations/``: enginel by default, sqal with skip/limit or ``{org_id}``; members; limits."""

from __future__ import annotations

import pytest

from custos.api.testing import CrossTenantMixin, TenantRoute
from custos.audit.models import AuditLog
from custos.orgs.models import Membership, Organization

pytestmark = pytest.mark.django_db


def _audit_rows(**filters):
    return list(AuditLog.objects.filter(**filters).order_by("sequence"))


class TestOrganizationsAcrossTenants(CrossTenantMixin):
    routes = (
        TenantRoute(
            list="/api/organizations/",
            detail="/api/organizations/{id}/",
            write_methods=("patch", "put", "delete"),
        ),
        TenantRoute(list="/api/organizations/", detail="/api/organizations/{id}", list_params={"limit": 100}),
        TenantRoute(detail="/api/organizations/{id}/members/"),
    )

    @pytest.fixture
    def tenant_user(self, alice):
        return alice

    @pytest.fixture
    def own_object(self, org_a):
        return org_a

    @pytest.fixture
    def foreign_object(self, org_b, bob):
        return org_b

    def test_add_member_to_a_foreign_organization_is_404(self, client_for, alice, org_b, bob, amir):
        response = client_for(alice).post(f"/api/organizations/{org_b.pk}/add_member/", {"user_id": str(amir.pk)})
        assert response.status_code == 404
        assert not Membership.objects.filter(organization=org_b, user=amir).exists()


def test_list_in_enginel_envelope(client_for, alice, org_a, bob):
    response = client_for(alice).get("/api/organizations/")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    item = body["results"][0]
    assert item["id"] == str(org_a.pk)
    assert (item["name"], item["slug"], item["member_count"], item["storage_used_gb"]) == (
        "Northwind Energy",
        "northwind",
        1,
        0.0,
    )
    assert (item["subscription_tier"], item["max_users"], item["max_storage_gb"]) == ("STARTER", 10, 10)


def test_list_in_sqal_envelope_when_skip_or_limit_is_given(client_for, alice, org_a):
    response = client_for(alice).get("/api/organizations/", {"skip": 0, "limit": 10})
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {
        "totalItems": 1,
        "totalPages": 1,
        "currentPage": 1,
        "hasPrevious": False,
        "hasNext": False,
    }
    assert body["items"][0]["maxUsers"] == 10  # camelCase keys
    assert body["items"][0]["memberCount"] == 1


def test_sqal_item_form_answers_data_message(client_for, alice, org_a):
    response = client_for(alice).get(f"/api/organizations/{org_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Success"
    assert (body["data"]["id"], body["data"]["isUsOrganization"]) == (str(org_a.pk), True)


def test_sqal_errors_use_the_sqal_envelope(client_for, alice, org_a):
    response = client_for(alice).patch(f"/api/organizations/{org_a.pk}", {"maxUsers": "many"}, format="json")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["body", "max_users"], "msg": "A valid integer is required.", "type": "invalid"}]
    }
    org_a.refresh_from_db()
    assert org_a.max_users == 10


def test_enginel_errors_use_the_enginel_envelope(client_for, alice, org_a):
    response = client_for(alice).patch(f"/api/organizations/{org_a.pk}/", {"contact_email": "nope"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field_errors"]) == (
        "VALIDATION_ERROR",
        {"contact_email": ["Enter a valid email address."]},
    )


def test_create_makes_the_creator_owner_and_is_audited(client_for, amir, org_a):
    response = client_for(amir).post(
        "/api/organizations/", {"name": "New Company Inc", "slug": "new-company", "contact_email": "a@newco.example"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    organization = Organization.objects.get(slug="new-company")
    assert body["id"] == str(organization.pk)
    assert (body["member_count"], body["subscription_tier"], body["max_users"]) == (1, "STARTER", 10)
    assert Membership.objects.get(organization=organization).user == amir
    assert Membership.objects.get(organization=organization).role == "OWNER"
    rows = _audit_rows(resource_type="Organization")
    assert len(rows) == 1
    row = rows[0]
    assert (row.action, row.actor_id, row.organization_id, row.resource_id) == (
        "CREATE",
        str(amir.pk),
        organization.pk,
        str(organization.pk),
    )
    assert row.changes["name"] == "New Company Inc"


def test_create_with_a_taken_slug_is_409_and_creates_nothing(client_for, amir, org_a):
    response = client_for(amir).post("/api/organizations/", {"name": "Copy", "slug": "northwind"})
    assert response.status_code == 409
    assert Organization.objects.filter(name="Copy").count() == 0
    assert AuditLog.objects.count() == 0


def test_non_staff_cannot_choose_a_paid_tier(client_for, amir, org_a):
    response = client_for(amir).post(
        "/api/organizations/", {"name": "Greedy", "subscription_tier": "ENTERPRISE", "max_users": 5000}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_DENIED"
    assert not Organization.objects.filter(name="Greedy").exists()
    assert AuditLog.objects.count() == 0


def test_staff_may_set_the_subscription(client_for, staff, org_a):
    response = client_for(staff).patch(
        f"/api/organizations/{org_a.pk}/", {"subscription_tier": "ENTERPRISE", "max_users": 200}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["subscription_tier"], response.json()["max_users"]) == ("ENTERPRISE", 200)
    row = AuditLog.objects.get()
    assert row.changes == {
        "subscription_tier": {"old": "STARTER", "new": "ENTERPRISE"},
        "max_users": {"old": 10, "new": 200},
    }
    assert row.actor_id == str(staff.pk)


@pytest.mark.parametrize("persona", ["alice", "adam"])
def test_owner_and_admin_update(client_for, request, persona, org_a):
    user = request.getfixturevalue(persona)
    response = client_for(user).patch(f"/api/organizations/{org_a.pk}/", {"description": "Wind"}, format="json")
    assert response.status_code == 200
    org_a.refresh_from_db()
    assert org_a.description == "Wind"
    row = AuditLog.objects.get()
    assert (row.action, row.actor_id, row.changes) == (
        "UPDATE",
        str(user.pk),
        {"description": {"old": "", "new": "Wind"}},
    )


@pytest.mark.parametrize("persona", ["amir", "vera"])
def test_member_and_viewer_cannot_change_or_add(client_for, request, persona, org_a, bob):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.patch(f"/api/organizations/{org_a.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/organizations/{org_a.pk}/").status_code == 403
    response = client.post(f"/api/organizations/{org_a.pk}/add_member/", {"user_id": str(bob.pk)})
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert (org_a.name, org_a.is_active) == ("Northwind Energy", True)
    assert not Membership.objects.filter(organization=org_a, user=bob).exists()
    assert AuditLog.objects.count() == 0


def test_admin_cannot_update_subscription_fields(client_for, adam, org_a):
    response = client_for(adam).patch(f"/api/organizations/{org_a.pk}/", {"max_users": 999}, format="json")
    assert response.status_code == 403
    org_a.refresh_from_db()
    assert org_a.max_users == 10


def test_delete_is_owner_only_and_closes_the_organization(client_for, alice, adam, org_a):
    assert client_for(adam).delete(f"/api/organizations/{org_a.pk}/").status_code == 403
    response = client_for(alice).delete(f"/api/organizations/{org_a.pk}/")
    assert response.status_code == 204
    org_a.refresh_from_db()
    assert org_a.is_active is False
    assert client_for(alice).get(f"/api/organizations/{org_a.pk}/").status_code == 404
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.actor_id) == ("DELETE", "Organization", str(alice.pk))


def test_sqal_delete_answers_data_message(client_for, alice, org_a):
    response = client_for(alice).delete(f"/api/organizations/{org_a.pk}")
    assert response.status_code == 200
    assert response.json() == {"data": {"id": str(org_a.pk)}, "message": "Organization deleted"}


def test_members_list(client_for, alice, adam, org_a):
    response = client_for(adam).get(f"/api/organizations/{org_a.pk}/members/")
    assert response.status_code == 200
    rows = response.json()
    assert [(row["email"], row["role"]) for row in rows] == [
        ("alice@northwind.example", "OWNER"),
        ("adam@northwind.example", "ADMIN"),
    ]
    assert set(rows[0]) == {
        "id",
        "organization",
        "user",
        "username",
        "email",
        "role",
        "status",
        "joined_at",
        "expires_at",
    }
    assert (rows[0]["status"], rows[0]["expires_at"]) == ("ACTIVE", None)


def test_add_member_invites_and_is_audited(client_for, adam, org_a, bob):
    response = client_for(adam).post(
        f"/api/organizations/{org_a.pk}/add_member/", {"user_id": str(bob.pk), "role": "VIEWER"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"], body["email"], body["role"], body["status"]) == (str(bob.pk), None, "VIEWER", "PENDING")
    assert not Membership.objects.filter(organization=org_a, user=bob).exists()  # until bob accepts
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.organization_id, row.actor_id) == (
        "CREATE",
        "Invitation",
        org_a.pk,
        str(adam.pk),
    )
    assert row.changes == {"user_id": str(bob.pk), "email": None, "role": "VIEWER"}


def test_add_member_twice_is_409(client_for, alice, amir, org_a):
    response = client_for(alice).post(f"/api/organizations/{org_a.pk}/add_member/", {"email": amir.email})
    assert response.status_code == 409
    assert AuditLog.objects.count() == 0


def test_only_an_owner_grants_owner(client_for, adam, alice, org_a, bob):
    response = client_for(adam).post(
        f"/api/organizations/{org_a.pk}/add_member/", {"user_id": str(bob.pk), "role": "OWNER"}
    )
    assert response.status_code == 403
    response = client_for(alice).post(
        f"/api/organizations/{org_a.pk}/add_member/", {"user_id": str(bob.pk), "role": "OWNER"}
    )
    assert response.status_code == 201


def test_add_member_bad_input(client_for, alice, org_a):
    client = client_for(alice)
    response = client.post(f"/api/organizations/{org_a.pk}/add_member/", {"role": "KING"})
    assert response.status_code == 400
    assert set(response.json()["field_errors"]) == {"role"}
    # An unknown account is invited like any other (201): existence is never revealed.
    response = client.post(
        f"/api/organizations/{org_a.pk}/add_member/", {"user_id": "00000000-0000-4000-8000-000000000009"}
    )
    assert (response.status_code, response.json()["status"]) == (201, "PENDING")
    assert Membership.objects.filter(organization=org_a).count() == 1


def test_max_users_is_enforced(client_for, alice, org_a, bob):
    Organization.objects.filter(pk=org_a.pk).update(max_users=1)
    response = client_for(alice).post(f"/api/organizations/{org_a.pk}/add_member/", {"user_id": str(bob.pk)})
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["limit"], body["current"]) == ("ORGANIZATION_LIMIT_EXCEEDED", 1, 1)
    assert not Membership.objects.filter(organization=org_a, user=bob).exists()
    assert AuditLog.objects.count() == 0


def test_x_organization_header_narrows_the_list(client_for, alice, org_a, org_b):
    Membership.objects.create(organization=org_b, user=alice, role="VIEWER")
    client = client_for(alice)
    assert client.get("/api/organizations/").json()["count"] == 2
    narrowed = client.get("/api/organizations/", HTTP_X_ORGANIZATION="helios").json()
    assert [item["slug"] for item in narrowed["results"]] == ["helios"]


def test_search_and_filters(client_for, staff, org_a, org_b):
    client = client_for(staff)
    assert [o["slug"] for o in client.get("/api/organizations/", {"search": "helios"}).json()["results"]] == ["helios"]
    only_us = client.get("/api/organizations/", {"is_us_organization": "true"}).json()["results"]
    assert [o["slug"] for o in only_us] == ["northwind"]
    assert client.get("/api/organizations/", {"fields": "id,name"}).json()["results"][0].keys() == {"id", "name"}


def test_anonymous_is_401(api_client, org_a):
    assert api_client.get("/api/organizations/").status_code == 401


@pytest.mark.parametrize("style", ["enginel", "sqal"])
def test_list_query_count_does_not_grow(client_for, staff, django_assert_num_queries, style):
    client = client_for(staff)
    params = {"limit": 50} if style == "sqal" else {}
    client.get("/api/organizations/", params)  # warm-up: settings record, caches
    for index in range(5):
        Organization.objects.create(name=f"Org {index}", slug=f"org-{index}")
    with django_assert_num_queries(3):  # user, count, page (member counts annotated)
        response = client.get("/api/organizations/", params)
    assert response.status_code == 200
