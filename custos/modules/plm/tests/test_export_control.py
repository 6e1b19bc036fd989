"""Export control: ITAR needs a US person, a classification needs a clearance covering it, attested by the
organization that owns the design. Lists never show what one cannot open; a direct request is a 403
with an ITAR_VIOLATION audit row."""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.modules.plm.models import AssemblyNode, DesignAsset, Markup, ReviewSession
from custos.modules.plm.tests.conftest import attest, make_design, make_series
from custos.orgs.tests.factories import membership

pytestmark = pytest.mark.django_db

CLASSIFICATIONS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET", "ITAR"]
ATTESTATIONS = [
    (False, "UNCLASSIFIED"),
    (False, "SECRET"),
    (True, "UNCLASSIFIED"),
    (True, "CONFIDENTIAL"),
    (True, "TOP_SECRET"),
]
RANK = {"UNCLASSIFIED": 0, "CONFIDENTIAL": 1, "SECRET": 2, "TOP_SECRET": 3, "ITAR": 0}


def may_open(classification: str, us_person: bool, clearance: str) -> bool:
    if classification == "ITAR" and not us_person:
        return False
    return RANK[clearance] >= RANK[classification]


@pytest.mark.parametrize(("us_person", "clearance"), ATTESTATIONS)
def test_the_itar_by_clearance_matrix(client_for, amir, org_a, alice, us_person, clearance):
    attest(amir, org_a, us_person=us_person, clearance=clearance)
    series = make_series(org_a, alice)
    designs = {
        level: make_design(series, alice, classification=level, itar_controlled=level == "ITAR")
        for level in CLASSIFICATIONS
    }
    client = client_for(amir)
    listed = {item["id"] for item in client.get("/api/designs/", {"page_size": 100}).json()["results"]}
    in_series = {item["id"] for item in client.get(f"/api/series/{series.pk}/designs/").json()}
    for level, design in designs.items():
        allowed = may_open(level, us_person, clearance)
        assert (str(design.pk) in listed) is allowed, level
        assert (str(design.pk) in in_series) is allowed, level
        before = AuditLog.objects.filter(action="ITAR_VIOLATION").count()
        response = client.get(f"/api/designs/{design.pk}/")
        if allowed:
            assert response.status_code == 200, level
            continue
        assert response.status_code == 403, level
        body = response.json()
        assert body["code"] == "ITAR_VIOLATION"
        if level == "ITAR":
            assert body["detail"] == "Access denied: ITAR-controlled designs require US person status."
        else:
            assert body["detail"] == f"Access denied: this design requires {level} clearance."
        row = AuditLog.objects.filter(action="ITAR_VIOLATION").latest("sequence")
        assert AuditLog.objects.filter(action="ITAR_VIOLATION").count() == before + 1
        assert (row.resource_type, row.resource_id, row.actor_id, row.success) == (
            "DesignAsset",
            str(design.pk),
            str(amir.pk),
            False,
        )


def test_an_itar_flag_or_a_classified_series_protects_the_design(client_for, amir, org_a, alice):
    attest(amir, org_a, us_person=False, clearance="TOP_SECRET")
    flagged = make_design(make_series(org_a, alice), alice, itar_controlled=True)
    secret_series = make_series(org_a, alice, classification="SECRET")
    inherited = make_design(secret_series, alice, classification="UNCLASSIFIED")
    client = client_for(amir)
    assert client.get(f"/api/designs/{flagged.pk}/").status_code == 403
    assert client.get(f"/api/designs/{inherited.pk}/").status_code == 200  # TOP_SECRET covers SECRET
    attest(amir, org_a, us_person=True, clearance="CONFIDENTIAL")
    assert client.get(f"/api/designs/{flagged.pk}/").status_code == 200
    assert client.get(f"/api/designs/{inherited.pk}/").status_code == 403
    assert client.get(f"/api/series/{secret_series.pk}/").status_code == 403
    assert str(secret_series.pk) not in {s["id"] for s in client.get("/api/series/").json()["results"]}


def test_every_design_route_and_what_hangs_off_it_is_guarded(client_for, amir, org_a, alice, box_step):
    attest(amir, org_a, us_person=False, clearance="TOP_SECRET")
    design = make_design(
        make_series(org_a, alice), alice, classification="ITAR", itar_controlled=True, content=box_step
    )
    node = AssemblyNode.objects.create(organization=org_a, design_asset=design, path="0001", depth=1, part_name="P")
    review = ReviewSession.objects.create(organization=org_a, design_asset=design)
    markup = Markup.objects.create(
        organization=org_a, design_asset=design, position={"x": 0, "y": 0, "z": 0}, annotation_text="t"
    )
    client = client_for(amir)
    reads = [
        f"/api/designs/{design.pk}/",
        f"/api/designs/{design.pk}/download/",
        f"/api/designs/{design.pk}/preview/",
        f"/api/designs/{design.pk}/metadata/",
        f"/api/designs/{design.pk}/bom/",
        f"/api/bom-nodes/{node.pk}/",
        f"/api/reviews/{review.pk}/",
        f"/api/markups/{markup.pk}/",
    ]
    for url in reads:
        response = client.get(url)
        assert response.status_code == 403 and response.json()["code"] == "ITAR_VIOLATION", url
    writes = [
        ("patch", f"/api/designs/{design.pk}/", {"material": "steel"}),
        ("delete", f"/api/designs/{design.pk}/", None),
        ("post", f"/api/designs/{design.pk}/start_review/", {"reviewer_ids": [str(amir.pk)]}),
        ("post", f"/api/designs/{design.pk}/approve/", {}),
        ("post", f"/api/markups/{markup.pk}/resolve/", {}),
        (
            "post",
            "/api/markups/",
            {"design_asset": str(design.pk), "position": {"x": 1, "y": 1, "z": 1}, "annotation_text": "x"},
        ),
        ("post", "/api/bom-nodes/", {"design_asset": str(design.pk), "part_name": "Bolt"}),
        ("post", "/api/reviews/", {"design_asset": str(design.pk), "reviewers": [str(amir.pk)]}),
    ]
    for method, url, body in writes:
        response = (
            getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
        )
        assert response.status_code == 403, (method, url, response.status_code)
    assert AuditLog.objects.filter(action="ITAR_VIOLATION").count() == len(reads) + len(writes)
    for url in ("/api/designs/", "/api/bom-nodes/", "/api/reviews/", "/api/markups/"):
        assert client.get(url).json()["results"] == [], url
    assert DesignAsset.objects.get(pk=design.pk).material == ""
    assert Markup.objects.count() == 1 and AssemblyNode.objects.count() == 1 and ReviewSession.objects.count() == 1


def test_the_attestation_of_the_owning_organization_decides(client_for, org_a, org_b, alice, bob):
    """A US person in Helios is not one in Northwind: one tenant never changes what a user sees in another."""
    from custos.identity.tests.factories import user

    carol = user("carol@example.org", organization=org_a, role="MEMBER")
    membership(user=carol, organization=org_b, role="MEMBER")
    attest(carol, org_b, us_person=True, clearance="TOP_SECRET")
    itar_a = make_design(make_series(org_a, alice), alice, classification="ITAR", itar_controlled=True)
    itar_b = make_design(make_series(org_b, bob), bob, classification="ITAR", itar_controlled=True)
    client = client_for(carol)
    listed = {item["id"] for item in client.get("/api/designs/").json()["results"]}
    assert listed == {str(itar_b.pk)}
    assert client.get(f"/api/designs/{itar_a.pk}/").status_code == 403
    assert client.get(f"/api/designs/{itar_b.pk}/").status_code == 200


def test_a_writer_cannot_classify_above_their_own_attestation(client_for, amir, org_a, alice, series_a):
    client = client_for(amir)
    response = client.post(
        "/api/series/", {"part_number": "X-1", "name": "X", "classification": "SECRET"}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "ITAR_VIOLATION"
    design = make_design(series_a, alice)
    response = client.patch(f"/api/designs/{design.pk}/", {"classification": "ITAR"}, format="json")
    assert response.status_code == 403
    assert DesignAsset.objects.get(pk=design.pk).classification == "UNCLASSIFIED"
    attest(amir, org_a, us_person=True)
    response = client.patch(f"/api/designs/{design.pk}/", {"classification": "ITAR"}, format="json")
    assert response.status_code == 200 and response.json()["itar_controlled"] is True
