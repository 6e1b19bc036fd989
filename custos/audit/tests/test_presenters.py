"""The three presenters of the audit table: tenancy, filters, search, exports, query counts."""

from __future__ import annotations

import csv
import io

import orjson
import pytest

from custos.api.testing import CrossTenantMixin, TenantRoute
from custos.audit.models import AuditLog
from custos.audit.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(alice, bob, org_a, org_b):
    """One row in each organization, and one of alice's own without an organization."""
    north = audit_record(
        actor=alice,
        action="CREATE",
        resource_type="DesignAsset",
        resource_id="d-1",
        resource_name="turbine_blade_v3.step",
        changes={"filename": "turbine_blade_v3.step", "classification": "UNCLASSIFIED"},
        organization_id=org_a.pk,
    )
    helios = audit_record(
        actor=bob,
        action="DELETE",
        resource_type="Pipeline",
        resource_id="p-9",
        resource_name="Helios line",
        organization_id=org_b.pk,
    )
    own = audit_record(actor=alice, action="LOGIN", resource_type="User", resource_id=str(alice.pk))
    return north, helios, own


class TestAuditAcrossTenants(CrossTenantMixin):
    routes = (
        TenantRoute(list="/api/activity-logs/", detail="/api/activity-logs/{id}/"),
        TenantRoute(list="/api/audit-logs/", detail="/api/audit-logs/{id}/"),
        TenantRoute(list="/api/audit-logs/search/"),
        TenantRoute(list="/api/admin/audit/", list_params={"limit": 100}),
    )

    @pytest.fixture
    def tenant_user(self, alice):
        return alice

    @pytest.fixture
    def own_object(self, rows):
        return rows[0]

    @pytest.fixture
    def foreign_object(self, rows):
        return rows[1]


def test_a_colleague_sees_organization_rows_but_not_private_ones(client_for, rows, amir):
    ids = [row["id"] for row in client_for(amir).get("/api/activity-logs/").json()["results"]]
    assert ids == [str(rows[0].pk)]


def test_staff_see_every_row(client_for, rows, staff):
    body = client_for(staff).get("/api/audit-logs/").json()
    assert body["count"] == 3


def test_activity_log_shape_and_filters(client_for, rows, alice):
    client = client_for(alice)
    body = client.get("/api/activity-logs/", {"action": "create"}).json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item == {
        "id": str(rows[0].pk),
        "user": str(alice.pk),
        "user_email": "alice@northwind.example",
        "action": "create",
        "resource_type": "design_asset",
        "resource_id": "d-1",
        "resource_name": "turbine_blade_v3.step",
        "description": "alice@northwind.example create design_asset turbine_blade_v3.step",
        "changes": {"filename": "turbine_blade_v3.step", "classification": "UNCLASSIFIED"},
        "ip_address": None,
        "user_agent": "",
        "success": True,
        "error_message": "",
        "organization": str(rows[0].organization_id),
        "created_at": item["created_at"],
    }
    assert client.get("/api/activity-logs/", {"search": "turbine"}).json()["count"] == 1
    assert client.get("/api/activity-logs/", {"user": str(alice.pk)}).json()["count"] == 2
    assert client.get("/api/activity-logs/", {"success": "false"}).json()["count"] == 0
    oldest_first = client.get("/api/activity-logs/", {"ordering": "created_at"}).json()["results"]
    assert [r["action"] for r in oldest_first] == ["create", "login"]
    bad = client.get("/api/activity-logs/", {"timestamp__gte": "yesterday"})
    assert (bad.status_code, bad.json()) == (400, {"timestamp__gte": ["Enter a valid date/time."]})


def test_audit_log_shape_filters_and_search(client_for, rows, alice):
    client = client_for(alice)
    item = client.get(f"/api/audit-logs/{rows[0].pk}/").json()
    assert (item["actor_id"], item["actor_username"], item["action"], item["action_display"]) == (
        str(alice.pk),
        "alice@northwind.example",
        "CREATE",
        "Create",
    )
    assert (item["sequence"], item["hash"]) == (rows[0].sequence, rows[0].hash)
    assert client.get("/api/audit-logs/", {"resource_type": "DesignAsset"}).json()["count"] == 1
    assert client.get("/api/audit-logs/", {"timestamp__gte": "2999-01-01T00:00:00Z"}).json()["count"] == 0
    found = client.get("/api/audit-logs/search/", {"q": "turbine", "resource_type": "DesignAsset"}).json()
    assert [r["id"] for r in found["results"]] == [str(rows[0].pk)]
    assert client.get("/api/audit-logs/search/", {"q": "Helios"}).json()["count"] == 0  # bob's row stays hidden


def test_admin_audit_is_sqal_and_for_admins(client_for, rows, alice, amir):
    assert client_for(amir).get("/api/admin/audit/").status_code == 403
    body = client_for(alice).get("/api/admin/audit/", {"action": "LOGIN", "skip": 0, "limit": 10}).json()
    assert body["pagination"]["totalItems"] == 1
    item = body["items"][0]
    assert (item["actorUsername"], item["resourceType"]) == ("alice@northwind.example", "User")
    north = client_for(alice).get("/api/admin/audit/", {"resource_type": "DesignAsset"}).json()["items"][0]
    assert north["changes"] == {"filename": "turbine_blade_v3.step", "classification": "UNCLASSIFIED"}


def test_export_csv_parses(client_for, rows, alice):
    response = client_for(alice).get("/api/audit-logs/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    records = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["id"] for r in records} == {str(rows[0].pk), str(rows[2].pk)}
    north = next(r for r in records if r["id"] == str(rows[0].pk))
    assert orjson.loads(north["changes"]) == {"classification": "UNCLASSIFIED", "filename": "turbine_blade_v3.step"}


def test_export_json_parses_and_filters(client_for, rows, alice):
    response = client_for(alice).get("/api/audit-logs/export/", {"format": "json", "action": "LOGIN"})
    assert response.status_code == 200
    body = orjson.loads(response.content)
    assert (body["count"], body["results"][0]["id"]) == (1, str(rows[2].pk))


def test_export_pdf_opens(client_for, rows, alice):
    response = client_for(alice).get("/api/audit-logs/export/", {"format": "pdf", "start_date": "2000-01-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_export_is_itself_recorded_and_bad_format_refused(client_for, rows, alice):
    client = client_for(alice)
    assert client.get("/api/audit-logs/export/", {"format": "docx"}).status_code == 400
    assert AuditLog.objects.count() == 3
    client.get("/api/audit-logs/export/", {"format": "json"})
    row = AuditLog.objects.order_by("-sequence").first()
    assert (row.action, row.resource_type, row.actor_id, row.changes["format"]) == (
        "EXPORT",
        "AuditLog",
        str(alice.pk),
        "json",
    )


def test_presenters_are_read_only(client_for, rows, staff):
    client = client_for(staff)
    assert client.delete(f"/api/audit-logs/{rows[0].pk}/").status_code == 405
    assert client.patch(f"/api/activity-logs/{rows[0].pk}/", {}, format="json").status_code == 405
    assert AuditLog.objects.count() == 3


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/activity-logs/", {}, 4),  # user, visible orgs, count, page
        ("/api/audit-logs/", {}, 4),
        ("/api/admin/audit/", {"limit": 50}, 5),  # + the organization-admin permission check
    ],
)
def test_list_query_counts_do_not_grow(
    client_for, rows, alice, org_a, django_assert_num_queries, path, params, expected
):
    client = client_for(alice)
    client.get(path, params)
    for index in range(5):
        audit_record(
            actor=alice, action="UPDATE", resource_type="Thing", resource_id=str(index), organization_id=org_a.pk
        )
    with django_assert_num_queries(expected):
        response = client.get(path, params)
    assert response.status_code == 200


def test_rows_take_the_organization_of_their_target(org_a, alice):
    from custos.audit.services import audit_organization_id
    from custos.orgs.models import Membership

    membership = Membership.objects.get(user=alice)
    assert audit_organization_id(org_a) == org_a.pk
    assert audit_organization_id(membership) == org_a.pk
    assert audit_organization_id(alice) is None
    row = audit_record(actor=alice, action="UPDATE", resource_type="Membership", target=membership)
    assert row.organization_id == org_a.pk


# --- one stored vocabulary, presented per dialect ----------------------------------------------


@pytest.fixture
def vocabulary_rows(alice, bob, org_a, org_b):
    """A current row, a legacy row (``x.verb`` / snake case) and another organization's row."""
    current = audit_record(
        actor=alice,
        action="ANALYZE",
        resource_type="SatelliteImage",
        resource_id="img-1",
        resource_name="scene 1",
        organization_id=org_a.pk,
    )
    legacy = audit_record(
        actor=alice,
        action="auth.login_failed",
        resource_type="periodic_task",
        resource_id="7",
        organization_id=org_a.pk,
    )
    foreign = audit_record(
        actor=bob, action="ANALYZE", resource_type="SatelliteImage", resource_id="img-9", organization_id=org_b.pk
    )
    return current, legacy, foreign


def _by_id(results):
    return {item["id"]: item for item in results}


def test_pipeline_presents_lower_and_snake_case(client_for, vocabulary_rows, alice):
    current, legacy, _ = vocabulary_rows
    items = _by_id(client_for(alice).get("/api/activity-logs/").json()["results"])
    assert set(items) == {str(current.pk), str(legacy.pk)}
    assert (items[str(current.pk)]["action"], items[str(current.pk)]["resource_type"]) == ("analyze", "satellite_image")
    assert (items[str(legacy.pk)]["action"], items[str(legacy.pk)]["resource_type"]) == (
        "login_failed",
        "periodic_task",
    )
    assert items[str(current.pk)]["description"] == "alice@northwind.example analyze satellite_image scene 1"


def test_enginel_and_sqal_present_as_stored_with_action_display(client_for, vocabulary_rows, alice):
    current, legacy, _ = vocabulary_rows
    client = client_for(alice)
    for url in ("/api/audit-logs/", "/api/audit-logs/search/"):
        items = _by_id(client.get(url).json()["results"])
        assert [items[str(current.pk)][k] for k in ("action", "action_display", "resource_type")] == [
            "ANALYZE",
            "Analyze",
            "SatelliteImage",
        ]
        assert [items[str(legacy.pk)][k] for k in ("action", "action_display", "resource_type")] == [
            "LOGIN_FAILED",
            "Login failed",
            "PeriodicTask",
        ]
    items = _by_id(client.get("/api/admin/audit/", {"limit": 100}).json()["items"])
    assert [items[str(legacy.pk)][k] for k in ("action", "actionDisplay", "resourceType")] == [
        "LOGIN_FAILED",
        "Login failed",
        "PeriodicTask",
    ]


@pytest.mark.parametrize(
    ("url", "key"),
    [("/api/activity-logs/", "results"), ("/api/audit-logs/", "results"), ("/api/admin/audit/", "items")],
)
@pytest.mark.parametrize("spelling", ["analyze", "ANALYZE", "Analyze"])
def test_the_action_filter_accepts_every_spelling(client_for, vocabulary_rows, alice, url, key, spelling):
    current = vocabulary_rows[0]
    items = client_for(alice).get(url, {"action": spelling}).json()[key]
    assert [item["id"] for item in items] == [str(current.pk)]  # never the other organization's row


@pytest.mark.parametrize("url", ["/api/activity-logs/", "/api/audit-logs/"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"resource_type": "satellite_image"}, 0),
        ({"resource_type": "SatelliteImage"}, 0),
        ({"resource_type": "periodic_task"}, 1),
        ({"resource_type": "PeriodicTask"}, 1),
        ({"action": "login_failed"}, 1),  # a legacy ``auth.login_failed`` row
        ({"action": "LOGIN_FAILED", "resource_type": "PeriodicTask"}, 1),
    ],
)
def test_filters_map_back_to_stored_and_legacy_forms(client_for, vocabulary_rows, alice, url, params, expected):
    row = vocabulary_rows[expected]
    ids = [item["id"] for item in client_for(alice).get(url, params).json()["results"]]
    assert ids == [str(row.pk)]


@pytest.mark.parametrize("params", [{"action": "no_such_verb"}, {"resource_type": "NoSuchThing"}])
def test_an_unknown_spelling_matches_nothing(client_for, vocabulary_rows, alice, params):
    assert client_for(alice).get("/api/audit-logs/", params).json()["count"] == 0
    assert client_for(alice).get("/api/activity-logs/", params).json()["count"] == 0


def test_the_schema_describes_the_presented_fields():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    activity = next(v for k, v in components.items() if k.startswith("ActivityLog"))
    audit = next(v for k, v in components.items() if k.startswith("AuditLog") and "action_display" in v["properties"])
    for body in (activity, audit):
        assert body["properties"]["action"]["type"] == "string"
        assert body["properties"]["resource_type"]["type"] == "string"
    assert "lower case" in activity["properties"]["action"]["description"]
    assert "upper case" in audit["properties"]["action"]["description"]
    assert audit["properties"]["action_display"]["type"] == "string"
