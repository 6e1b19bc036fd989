"""Reviews (assigned reviewers decide), markups, the BOM extracted from a STEP assembly and edited by hand,
and design series."""

from __future__ import annotations

import csv
import io
import math

import pytest

from custos.audit.models import AuditLog
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries, Markup, ReviewDecision, ReviewSession
from custos.modules.plm.tests import cad_fixtures as fx
from custos.modules.plm.tests.conftest import attest, make_design

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(series_a, alice):
    return make_design(series_a, alice, content=b"ISO-10303-21;\n")


def _start(client, design, reviewers):
    return client.post(
        f"/api/designs/{design.pk}/start_review/", {"reviewer_ids": [str(u.pk) for u in reviewers]}, format="json"
    )


# --- reviews ----------------------------------------------------------------------------------


def test_all_reviewers_approving_approves_the_design(client_for, amir, vera, adam, ready):
    response = _start(client_for(amir), ready, [vera, adam])
    assert response.status_code == 201
    review = ReviewSession.objects.get(pk=response.json()["review_session_id"])
    assert response.json() == {"review_session_id": str(review.pk), "status": "IN_REVIEW"}
    assert DesignAsset.objects.get(pk=ready.pk).status == "IN_REVIEW"
    first = client_for(vera).post(f"/api/reviews/{review.pk}/approve/", {"comments": "ok"}, format="json")
    assert first.status_code == 200 and first.json()["status"] == "IN_PROGRESS"
    assert DesignAsset.objects.get(pk=ready.pk).status == "IN_REVIEW"
    again = client_for(vera).post(f"/api/reviews/{review.pk}/approve/", {}, format="json")
    assert again.status_code == 409
    last = client_for(adam).post(f"/api/designs/{ready.pk}/approve/", {"notes": "meets requirements"}, format="json")
    assert last.status_code == 200 and last.json()["status"] == "APPROVED"
    review.refresh_from_db()
    assert (review.status, review.outcome) == ("COMPLETED", "APPROVED") and review.completed_at is not None
    body = client_for(amir).get(f"/api/reviews/{review.pk}/").json()
    assert sorted(body["reviewers"]) == sorted([str(vera.pk), str(adam.pk)])
    assert {d["decision"] for d in body["decisions"]} == {"APPROVED"}


def test_one_rejection_rejects_the_design_with_its_reason(client_for, amir, vera, adam, ready):
    review_id = _start(client_for(amir), ready, [vera, adam]).json()["review_session_id"]
    body = {"comments": "Dimensions do not match specification", "reason": "INCORRECT_DIMENSIONS"}
    response = client_for(adam).post(f"/api/reviews/{review_id}/reject/", body, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "REJECTED"
    design = DesignAsset.objects.get(pk=ready.pk)
    assert (design.status, design.status_reason) == ("REJECTED", "INCORRECT_DIMENSIONS")
    late = client_for(vera).post(f"/api/reviews/{review_id}/approve/", {}, format="json")
    assert late.status_code == 409


def test_only_assigned_reviewers_decide_and_a_refusal_changes_nothing(client_for, amir, alice, vera, ready):
    review_id = _start(client_for(amir), ready, [vera]).json()["review_session_id"]
    audit_before = AuditLog.objects.count()
    for user, url in [
        (alice, f"/api/reviews/{review_id}/approve/"),
        (amir, f"/api/reviews/{review_id}/reject/"),
        (alice, f"/api/designs/{ready.pk}/approve/"),
    ]:
        response = client_for(user).post(url, {}, format="json")
        assert response.status_code == 403, url
        assert response.json()["code"] == "PERMISSION_DENIED"
    assert ReviewDecision.objects.get(review_id=review_id).decision == "PENDING"
    assert DesignAsset.objects.get(pk=ready.pk).status == "IN_REVIEW"
    assert AuditLog.objects.count() == audit_before


def test_review_bad_input(client_for, amir, bob, vera, ready, series_a, alice):
    client = client_for(amir)
    foreign = _start(client, ready, [bob])
    assert foreign.status_code == 400
    assert foreign.json()["field_errors"] == {"reviewers": [f'Invalid pk "{bob.pk}" - object does not exist.']}
    empty = client.post(f"/api/designs/{ready.pk}/start_review/", {"reviewer_ids": []}, format="json")
    assert empty.status_code == 400
    itar = make_design(series_a, alice, classification="ITAR", itar_controlled=True)
    attest(amir, series_a.organization, us_person=True)
    barred = _start(client, itar, [vera])
    assert barred.status_code == 400
    assert barred.json()["field_errors"] == {
        "reviewers": [f"User {vera.pk} may not open this design (export control)."]
    }
    uploading = make_design(series_a, alice, status="UPLOADING")
    assert _start(client, uploading, [vera]).status_code == 409
    assert not ReviewSession.objects.exists()
    assert _start(client, ready, [vera]).status_code == 201
    assert _start(client, ready, [vera]).status_code == 409  # one open review at a time


def test_reviews_route_creates_and_patch_cancels(client_for, amir, vera, ready):
    client = client_for(amir)
    response = client.post("/api/reviews/", {"design_asset": str(ready.pk), "reviewers": [str(vera.pk)]}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "IN_PROGRESS"
    review_id = response.json()["id"]
    wrong = client.patch(f"/api/reviews/{review_id}/", {"status": "COMPLETED"}, format="json")
    assert wrong.status_code == 400
    cancelled = client.patch(f"/api/reviews/{review_id}/", {"status": "CANCELLED", "notes": "later"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    assert DesignAsset.objects.get(pk=ready.pk).status == "READY"
    viewer = client_for(vera).patch(f"/api/reviews/{review_id}/", {"notes": "x"}, format="json")
    assert viewer.status_code == 403


# --- markups ----------------------------------------------------------------------------------


def test_markups_resolve_dismiss_and_bad_input(client_for, amir, vera, ready, series_a, alice):
    client = client_for(amir)
    body = {
        "design_asset": str(ready.pk),
        "position": {"x": 25.5, "y": 12.3, "z": 8.7},
        "camera_position": {"x": 100, "y": 100, "z": 100},
        "annotation_text": "Wall thickness appears insufficient",
        "severity": "MAJOR",
    }
    created = client.post("/api/markups/", body, format="json")
    assert created.status_code == 201
    markup = created.json()
    assert (markup["author"], markup["status"], markup["position"]) == (
        str(amir.pk),
        "OPEN",
        {"x": 25.5, "y": 12.3, "z": 8.7},
    )
    resolved = client.post(f"/api/markups/{markup['id']}/resolve/", {"resolution_notes": "3 mm now"}, format="json")
    assert resolved.status_code == 200 and resolved.json()["status"] == "RESOLVED"
    assert resolved.json()["resolution_notes"] == "3 mm now" and resolved.json()["resolved_at"]
    assert client.post(f"/api/markups/{markup['id']}/dismiss/", {}, format="json").status_code == 409
    second = client.post("/api/markups/", body, format="json").json()
    assert client_for(vera).post(f"/api/markups/{second['id']}/dismiss/", {}, format="json").status_code == 403
    dismissed = client.post(f"/api/markups/{second['id']}/dismiss/", {"reason": "n/a"}, format="json")
    assert dismissed.json()["status"] == "DISMISSED" and dismissed.json()["dismissed_reason"] == "n/a"
    bad_point = client.post("/api/markups/", {**body, "position": {"x": "a", "y": 1, "z": 1}}, format="json")
    assert bad_point.status_code == 400 and "position" in bad_point.json()["field_errors"]
    other = make_design(series_a, alice)
    review = ReviewSession.objects.create(organization=other.organization, design_asset=other)
    mismatched = client.post("/api/markups/", {**body, "review_session": str(review.pk)}, format="json")
    assert mismatched.status_code == 400 and "review_session" in mismatched.json()["field_errors"]
    assert Markup.objects.count() == 2


# --- BOM --------------------------------------------------------------------------------------


def test_a_step_assembly_becomes_a_bom_tree_with_rolled_up_quantities_and_mass(processed, client_for, alice, tmp_path):
    content = fx.assembly_step_bytes(tmp_path / "asm.step", sub_assemblies=2, bolts_per_sub=3, top_bolts=1)
    design = processed("asm.step", content, material="steel")
    assert design.status == "READY"
    body = client_for(alice).get(f"/api/designs/{design.pk}/bom/").json()
    [top] = body["tree"]
    assert (top["part_name"], top["quantity"], top["depth"], top["path"]) == ("TOP-ASM", 1, 1, "0001")
    children = {child["part_name"]: child for child in top["children"]}
    assert {name: child["quantity"] for name, child in children.items()} == {
        "BASE-PLATE": 1,
        "BRACKET-ASM": 2,
        "BOLT-M4": 1,
    }
    sub = {child["part_name"]: child for child in children["BRACKET-ASM"]["children"]}
    assert sub["BOLT-M4"]["quantity"] == 3 and sub["BOLT-M4"]["total_quantity"] == 6
    assert sub["BOLT-M4"]["depth"] == 3 and sub["BOLT-M4"]["path"].startswith(children["BRACKET-ASM"]["path"])
    bolt_kg = math.pi * 4 * 10 * 1e-9 * 7850
    assert sub["BOLT-M4"]["unit_mass_kg"] == pytest.approx(bolt_kg)
    assert sub["BOLT-M4"]["total_mass_kg"] == pytest.approx(6 * bolt_kg)
    assert body["total_part_instances"] == 1 + 2 * (1 + 3) + 1
    assert body["total_mass_kg"] == pytest.approx(design.mass_kg)
    assert body["total_nodes"] == AssemblyNode.objects.filter(design_asset=design).count() == 6
    response = client_for(alice).get(f"/api/designs/{design.pk}/bom/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["level"], r["part_name"], r["total_quantity"]) for r in rows] == [
        ("1", "TOP-ASM", "1"),
        ("2", "BASE-PLATE", "1"),
        ("2", "BRACKET-ASM", "2"),
        ("3", "BRACKET", "2"),
        ("3", "BOLT-M4", "6"),
        ("2", "BOLT-M4", "1"),
    ]


def test_bom_nodes_by_hand_paths_cascade_and_bad_input(client_for, amir, ready, series_a, alice):
    client = client_for(amir)
    root = client.post(
        "/api/bom-nodes/", {"design_asset": str(ready.pk), "part_name": "Assembly"}, format="json"
    ).json()
    assert (root["path"], root["depth"], root["parent"]) == ("0001", 1, None)
    child = client.post(
        "/api/bom-nodes/",
        {"design_asset": str(ready.pk), "parent": root["id"], "part_name": "Bolt", "quantity": 12},
        format="json",
    ).json()
    sibling = client.post(
        "/api/bom-nodes/", {"design_asset": str(ready.pk), "parent": root["id"], "part_name": "Nut"}, format="json"
    ).json()
    assert (child["path"], child["depth"], sibling["path"]) == ("00010001", 2, "00010002")
    roots = client.get("/api/bom-nodes/", {"parent": "null", "design_asset": str(ready.pk)}).json()
    assert [item["id"] for item in roots["results"]] == [root["id"]]
    other = make_design(series_a, alice)
    foreign_parent = client.post(
        "/api/bom-nodes/", {"design_asset": str(other.pk), "parent": root["id"], "part_name": "X"}, format="json"
    )
    assert foreign_parent.status_code == 400
    assert foreign_parent.json()["field_errors"] == {"parent": [f'Invalid pk "{root["id"]}" - object does not exist.']}
    zero = client.post(
        "/api/bom-nodes/", {"design_asset": str(ready.pk), "part_name": "Z", "quantity": 0}, format="json"
    )
    assert zero.status_code == 400
    move = client.patch(f"/api/bom-nodes/{child['id']}/", {"design_asset": str(other.pk)}, format="json")
    assert move.status_code == 400
    assert client.delete(f"/api/bom-nodes/{root['id']}/").status_code == 204
    assert not AssemblyNode.objects.filter(design_asset=ready).exists()


# --- series -----------------------------------------------------------------------------------


def test_series_crud_and_rules(client_for, alice, amir, org_a, series_a, org_b):
    client = client_for(amir)
    created = client.post(
        "/api/series/",
        {"organization": str(org_a.pk), "part_number": "TB-002", "name": "Mark II", "category": "AEROSPACE"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["organization_name"], body["created_by"], body["classification"]) == (
        "Northwind Energy",
        str(amir.pk),
        "UNCLASSIFIED",
    )
    duplicate = client.post("/api/series/", {"part_number": "TB-002", "name": "again"}, format="json")
    assert duplicate.status_code == 400 and "part_number" in duplicate.json()["field_errors"]
    foreign = client.post(
        "/api/series/", {"organization": str(org_b.pk), "part_number": "Z", "name": "z"}, format="json"
    )
    assert foreign.status_code == 400 and "organization" in foreign.json()["field_errors"]
    make_design(series_a, alice)
    busy = client_for(alice).delete(f"/api/series/{series_a.pk}/")
    assert busy.status_code == 409 and busy.json()["code"] == "SERIES_NOT_EMPTY"
    assert client_for(alice).delete(f"/api/series/{body['id']}/").status_code == 204
    assert DesignSeries.objects.filter(organization=org_a).count() == 1
    versions = client.get(f"/api/series/{series_a.pk}/designs/").json()
    assert [(v["version_number"], v["filename"], v["status"]) for v in versions] == [(1, "part.step", "READY")]
