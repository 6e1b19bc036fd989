"""``/api/bugs/*`` (sqal): the contract, the workflow and its timestamps, assignees, comments, metrics
computed from constructed timestamps, filters, bad input and other organizations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from custos.api.testing import ApiContractMixin, assert_error_envelope
from custos.audit.models import AuditLog
from custos.modules.bugs.models import BugComment, BugReport

pytestmark = pytest.mark.django_db


def make_bug(organization, user=None, **values) -> BugReport:
    values.setdefault("title", "Sensor reading stuck at 0")
    return BugReport.objects.create(organization=organization, reported_by=user, **values)


class TestBugContract(ApiContractMixin):
    list_url = "/api/bugs/"
    dialect = "sqal"
    model = BugReport
    write_methods = ("patch",)

    def detail_url(self, obj):
        return f"/api/bugs/{obj.pk}"

    def create_payload(self, organization):
        return {"title": "Dashboard freezes", "severity": "high", "description": "After 10 minutes."}

    def update_payload(self, obj):
        return {"severity": "low"}

    def make_row(self, organization, user):
        return make_bug(organization, user)

    # The document offers no DELETE: the viewer is refused the writes that exist.
    def test_viewer_create_update_delete_are_403_and_change_nothing(self, client_for, viewer, own_object, org_a):
        client = client_for(viewer)
        rows, audits, stored = BugReport.objects.count(), self.audit_count(), self.snapshot(own_object)
        assert_error_envelope(
            client.post(self.list_url, self.create_payload(org_a), format="json"), status=403, dialect="sqal"
        )
        assert_error_envelope(
            client.patch(self.detail_url(own_object), {"severity": "low"}, format="json"), status=403, dialect="sqal"
        )
        response = client.post(f"/api/bugs/{own_object.pk}/comments/", {"content": "x"}, format="json")
        assert_error_envelope(response, status=403, dialect="sqal")
        assert client.delete(self.detail_url(own_object)).status_code == 405
        assert (BugReport.objects.count(), self.audit_count(), self.snapshot(own_object)) == (rows, audits, stored)
        assert not BugComment.objects.exists()


# --- create, read, shapes ---------------------------------------------------------------------------


def test_a_bug_is_created_reported_by_the_caller_in_camel_case(client_for, amir, adam, org_a):
    body = {
        "title": "ToF matrix rotated",
        "severity": "critical",
        "stepsToReproduce": "Flash 2.1.0, start a lot",
        "expectedBehavior": "Row 0 first",
        "environment": {"firmware_version": "2.1.0", "station": "ST-01"},
        "assigneeId": str(adam.pk),
    }
    response = client_for(amir).post("/api/bugs/", body, format="json")
    assert response.status_code == 201, response.content
    payload = response.json()
    assert payload["message"] == "Created"
    data = payload["data"]
    bug = BugReport.objects.get(pk=data["id"])
    assert (bug.organization_id, bug.reported_by_id, bug.assigned_to_id) == (org_a.pk, amir.pk, adam.pk)
    assert (bug.status, bug.severity, bug.resolved_at) == ("open", "critical", None)
    assert data["stepsToReproduce"] == "Flash 2.1.0, start a lot" and data["assignedTo"] == str(adam.pk)
    assert data["environment"] == {"firmware_version": "2.1.0", "station": "ST-01"}  # values' keys kept
    assert data["reporterEmail"] == amir.email and data["commentCount"] == 0 and data["resolvedAt"] is None


def test_detail_without_and_with_slash_carries_the_comments(client_for, amir, org_a, alice):
    bug = make_bug(org_a, alice)
    client = client_for(amir)
    for text in ("First look: reproducible", "Fixed in 2.1.1"):
        response = client.post(f"/api/bugs/{bug.pk}/comments/", {"content": text}, format="json")
        assert response.status_code == 201
    assert response.json()["data"]["content"] == "Fixed in 2.1.1"
    assert response.json()["data"]["authorId"] == str(amir.pk) and response.json()["data"]["bugId"] == str(bug.pk)
    for url in (f"/api/bugs/{bug.pk}", f"/api/bugs/{bug.pk}/"):
        data = client.get(url).json()["data"]
        assert [c["content"] for c in data["comments"]] == ["First look: reproducible", "Fixed in 2.1.1"]
        assert data["commentCount"] == 2
    assert AuditLog.objects.filter(action="CREATE", resource_type="BugComment").count() == 2
    listed = client.get("/api/bugs/").json()["items"]
    assert [(item["id"], item["commentCount"]) for item in listed] == [(str(bug.pk), 2)]
    assert "comments" not in listed[0]


def test_the_list_is_paged_with_skip_and_limit_and_filtered(client_for, amir, org_a, alice):
    now = timezone.now()
    bugs = []
    for index, (severity, status) in enumerate(
        [("critical", "open"), ("high", "in_progress"), ("high", "resolved"), ("low", "closed"), ("medium", "open")]
    ):
        bug = make_bug(org_a, alice, title=f"Bug {index}", severity=severity, status=status)
        BugReport.objects.filter(pk=bug.pk).update(created_at=now - timedelta(hours=10 - index))
        bugs.append(bug)
    client = client_for(amir)
    page = client.get("/api/bugs/", {"skip": 1, "limit": 2}).json()
    assert [item["title"] for item in page["items"]] == ["Bug 3", "Bug 2"]  # newest first
    assert page["pagination"] == {
        "totalItems": 5,
        "totalPages": 3,
        "currentPage": 1,
        "hasPrevious": True,
        "hasNext": True,
    }
    high = client.get("/api/bugs/", {"severity": "high"}).json()
    assert {item["title"] for item in high["items"]} == {"Bug 1", "Bug 2"} and high["pagination"]["totalItems"] == 2
    assert {i["title"] for i in client.get("/api/bugs/", {"status": "open"}).json()["items"]} == {"Bug 0", "Bug 4"}
    both = client.get("/api/bugs/?status=open&status=closed&severity=low").json()["items"]
    assert [item["title"] for item in both] == ["Bug 3"]


# --- workflow ---------------------------------------------------------------------------------------


def test_resolving_stamps_resolved_at_and_reopening_clears_it(client_for, amir, org_a, alice):
    bug = make_bug(org_a, alice)
    client = client_for(amir)
    url = f"/api/bugs/{bug.pk}"
    assert client.patch(url, {"status": "in_progress"}, format="json").status_code == 200
    assert BugReport.objects.get(pk=bug.pk).resolved_at is None
    before = timezone.now()
    data = client.patch(url, {"status": "resolved", "resolution": "Firmware 2.1.1"}, format="json").json()["data"]
    stored = BugReport.objects.get(pk=bug.pk)
    assert stored.status == "resolved" and stored.resolved_at >= before and data["resolvedAt"] is not None
    resolved_at = stored.resolved_at
    client.patch(url, {"status": "closed"}, format="json")
    stored = BugReport.objects.get(pk=bug.pk)
    assert (stored.status, stored.resolved_at) == ("closed", resolved_at) and stored.closed_at is not None
    data = client.patch(url, {"status": "open"}, format="json").json()["data"]
    stored = BugReport.objects.get(pk=bug.pk)
    assert (stored.status, stored.resolved_at, stored.closed_at, stored.resolution) == ("open", None, None, "")
    assert data["resolvedAt"] is None
    actions = list(
        AuditLog.objects.filter(resource_type="BugReport").order_by("sequence").values_list("action", flat=True)
    )
    assert actions == ["UPDATE", "RESOLVE", "CLOSE", "REOPEN"]


def test_a_closed_bug_only_reopens_and_a_new_bug_starts_open_or_in_progress(client_for, amir, org_a, alice):
    bug = make_bug(org_a, alice, status="closed")
    client = client_for(amir)
    response = client.patch(f"/api/bugs/{bug.pk}", {"status": "resolved"}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "status"
    assert BugReport.objects.get(pk=bug.pk).status == "closed"
    rows = BugReport.objects.count()
    assert client.post("/api/bugs/", {"title": "x", "status": "resolved"}, format="json").status_code == 422
    assert BugReport.objects.count() == rows


# --- assignees --------------------------------------------------------------------------------------


def test_an_assignee_from_another_organization_is_422_and_nothing_changes(client_for, amir, bob, org_a, alice):
    bug = make_bug(org_a, alice)
    client = client_for(amir)
    rows, audits = BugReport.objects.count(), AuditLog.objects.count()
    response = client.post("/api/bugs/", {"title": "x", "assignedTo": str(bob.pk)}, format="json")
    assert_error_envelope(response, status=422, dialect="sqal")
    assert response.json()["detail"][0]["msg"] == "Must be a member of the bug's organization."
    response = client.patch(f"/api/bugs/{bug.pk}", {"assigned_to": str(bob.pk), "severity": "low"}, format="json")
    assert response.status_code == 422
    stored = BugReport.objects.get(pk=bug.pk)
    assert (stored.assigned_to_id, stored.severity) == (None, "medium")
    assert (BugReport.objects.count(), AuditLog.objects.count()) == (rows, audits)


def test_assigning_a_member_and_unassigning(client_for, amir, vera, org_a, alice):
    bug = make_bug(org_a, alice)
    client = client_for(amir)
    assert client.patch(f"/api/bugs/{bug.pk}", {"assignedTo": str(vera.pk)}, format="json").status_code == 200
    assert BugReport.objects.get(pk=bug.pk).assigned_to_id == vera.pk
    assert client.get("/api/bugs/", {"assigned_to": str(vera.pk)}).json()["pagination"]["totalItems"] == 1
    assert client.patch(f"/api/bugs/{bug.pk}", {"assignedTo": None}, format="json").status_code == 200
    assert BugReport.objects.get(pk=bug.pk).assigned_to_id is None


# --- metrics ----------------------------------------------------------------------------------------


def test_metrics_are_computed_from_the_stored_timestamps(client_for, amir, org_a, org_b, alice, bob):
    client = client_for(amir)
    empty = client.get("/api/bugs/metrics/summary/").json()["data"]
    assert empty["total"] == 0 and empty["meanResolutionHours"] is None and empty["medianResolutionHours"] is None
    start = timezone.now() - timedelta(days=2)
    for hours, status, severity in [(2, "resolved", "high"), (4, "closed", "critical"), (None, "open", "high")]:
        bug = make_bug(org_a, alice, status=status, severity=severity)
        resolved = start + timedelta(hours=hours) if hours else None
        BugReport.objects.filter(pk=bug.pk).update(created_at=start, resolved_at=resolved)
    make_bug(org_a, alice, status="closed", severity="low")  # closed as won't-fix: never resolved
    foreign = make_bug(org_b, bob, status="resolved")
    BugReport.objects.filter(pk=foreign.pk).update(created_at=start, resolved_at=start + timedelta(hours=100))
    for url in ("/api/bugs/metrics/summary/", "/api/bugs/metrics/summary"):
        data = client.get(url).json()["data"]
        assert data["total"] == 4 and data["open"] == 1 and data["resolvedCount"] == 2
        assert data["byStatus"] == {"open": 1, "in_progress": 0, "resolved": 1, "closed": 2}
        assert data["bySeverity"] == {"critical": 1, "high": 2, "medium": 0, "low": 1}
        assert data["meanResolutionHours"] == pytest.approx(3.0) and data["medianResolutionHours"] == pytest.approx(3.0)
        assert data["meanResolutionSeconds"] == pytest.approx(10800.0)
    high = client.get("/api/bugs/metrics/summary/", {"severity": "high"}).json()["data"]
    assert high["total"] == 2 and high["meanResolutionHours"] == pytest.approx(2.0)


def test_the_median_of_an_odd_count_is_the_middle_resolution_time(client_for, amir, org_a, alice):
    start = timezone.now() - timedelta(days=3)
    for hours in (1, 2, 9):
        bug = make_bug(org_a, alice, status="resolved")
        BugReport.objects.filter(pk=bug.pk).update(created_at=start, resolved_at=start + timedelta(hours=hours))
    data = client_for(amir).get("/api/bugs/metrics/summary/").json()["data"]
    assert data["medianResolutionHours"] == pytest.approx(2.0) and data["meanResolutionHours"] == pytest.approx(4.0)


# --- bad input and other organizations --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "severity": "urgent"}, "severity"),
        ({"title": "x", "status": "done"}, "status"),
        ({"title": "x", "description": "d" * 5001}, "description"),
        ({"title": "x", "assignedTo": "not-a-uuid"}, "assigned_to"),
        ({"title": "x", "environment": {"nested": {"a": 1}}}, "environment"),
        ({"title": "x", "environment": ["a"]}, "environment"),
        ({"title": ["x"]}, "title"),
    ],
)
def test_bad_input_is_422_and_stores_nothing(client_for, amir, body, field):
    response = client_for(amir).post("/api/bugs/", body, format="json")
    assert_error_envelope(response, status=422, dialect="sqal")
    assert any(error["loc"][-1] == field for error in response.json()["detail"]), response.json()
    assert not BugReport.objects.exists() and not AuditLog.objects.filter(resource_type="BugReport").exists()


def test_bad_filters_and_comments_are_422(client_for, amir, org_a, alice):
    bug = make_bug(org_a, alice)
    client = client_for(amir)
    assert client.get("/api/bugs/", {"status": "nope"}).status_code == 422
    assert client.get("/api/bugs/", {"assigned_to": "x"}).status_code == 422
    assert client.get("/api/bugs/", {"limit": 5000}).status_code == 422
    for body in ({}, {"content": ""}, {"content": "c" * 5001}):
        assert_error_envelope(
            client.post(f"/api/bugs/{bug.pk}/comments/", body, format="json"), status=422, dialect="sqal"
        )
    assert not BugComment.objects.exists()


def test_another_organizations_bug_is_404_everywhere_and_out_of_the_metrics(client_for, amir, org_b, bob):
    foreign = make_bug(org_b, bob, severity="critical")
    stored = model_to_dict(foreign)
    client = client_for(amir)
    assert client.get(f"/api/bugs/{foreign.pk}").status_code == 404
    assert client.patch(f"/api/bugs/{foreign.pk}", {"status": "resolved"}, format="json").status_code == 404
    response = client.post(f"/api/bugs/{foreign.pk}/comments/", {"content": "hi"}, format="json")
    assert_error_envelope(response, status=404, dialect="sqal")
    assert client.get("/api/bugs/").json()["items"] == []
    assert client.get("/api/bugs/metrics/summary/").json()["data"]["total"] == 0
    assert model_to_dict(BugReport.objects.get(pk=foreign.pk)) == stored and not BugComment.objects.exists()


def test_search_and_ordering(client_for, amir, org_a, alice):
    make_bug(org_a, alice, title="Camera glare", severity="low")
    make_bug(org_a, alice, title="Spectral drift", severity="critical", category="AS7341")
    client = client_for(amir)
    assert [i["title"] for i in client.get("/api/bugs/", {"search": "as7341"}).json()["items"]] == ["Spectral drift"]
    ordered = client.get("/api/bugs/", {"ordering": "title"}).json()["items"]
    assert [item["title"] for item in ordered] == ["Camera glare", "Spectral drift"]
    assert client.get("/api/bugs/", {"category": "as7341"}).json()["pagination"]["totalItems"] == 1
