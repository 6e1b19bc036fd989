"""The design page through Django's test client: the viewer's preview route, review sessions with
Approve / Reject (the same services and rules as the API, compared side by side), markups added at a
point of the model, and the refusals: a viewer, another organization, export control, bad input."""

from __future__ import annotations

import io
import json
import re

import pytest
import trimesh

from custos.audit.models import AuditLog
from custos.console.finders import vendor_available
from custos.console.tests.test_console import design, logged_in
from custos.kernel.context import WriteContext
from custos.modules.plm import services
from custos.modules.plm.models import DesignAsset, Markup, ReviewDecision, ReviewSession
from custos.modules.plm.services.processing import design_process
from custos.modules.plm.tests import cad_fixtures as fx
from custos.modules.plm.tests.conftest import attest, make_design, make_series

pytestmark = pytest.mark.django_db


def _review(target: DesignAsset, creator, reviewers) -> ReviewSession:
    ctx = WriteContext.for_user(creator, organization_id=target.organization_id)
    return services.review_create(
        ctx, design_asset=target, data={"reviewers": [user.pk for user in reviewers], "notes": "Before release"}
    )


def _page(target: DesignAsset) -> str:
    return f"/console/designs/{target.pk}/"


def _decide(target: DesignAsset, review: ReviewSession, verdict: str) -> str:
    return f"/console/designs/{target.pk}/reviews/{review.pk}/{verdict}/"


def _markups(target: DesignAsset) -> str:
    return f"/console/designs/{target.pk}/markups/"


def _state(target: DesignAsset, review: ReviewSession) -> dict:
    """Everything an approval or rejection changes, without the ids that differ between two designs."""
    target.refresh_from_db()
    review.refresh_from_db()
    return {
        "design": (target.status, target.status_reason),
        "review": (review.status, review.outcome, review.completed_at is not None),
        "decisions": sorted(
            (d.reviewer.email, d.decision, d.comments, d.reason, d.decided_at is not None)
            for d in ReviewDecision.objects.filter(review=review).select_related("reviewer")
        ),
        "audit": sorted(
            (row.action, row.resource_type, row.actor_id, row.success)
            for row in AuditLog.objects.filter(resource_id__in=[str(target.pk), str(review.pk)])
        ),
    }


def _data(html: str) -> list:
    found = re.search(r'<script id="design-markups-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found.group(1))


# --- the page ---------------------------------------------------------------------------------


def test_page_lists_reviews_and_markups_and_offers_decisions_to_an_assigned_reviewer(alice, amir, vera, org_a):
    own = design(org_a)
    review = _review(own, alice, [alice, amir])
    markup = services.markup_create(
        WriteContext.for_user(amir, organization_id=org_a.pk),
        design_asset=own,
        data={
            "review_session": review.pk,
            "position": {"x": 10, "y": 20.5, "z": 3},
            "annotation_text": "Chamfer this edge",
            "severity": "MAJOR",
        },
    )
    page = logged_in(amir).get(_page(own))
    assert page.status_code == 200
    html = page.content.decode()
    [row] = page.context["reviews"]
    assert (row["review"].pk, row["may_decide"]) == (review.pk, True)
    assert [(d.reviewer.email, d.decision) for d in row["decisions"]] == [
        ("alice@northwind.example", "PENDING"),
        ("amir@northwind.example", "PENDING"),
    ]
    assert f'action="{_decide(own, review, "approve")}"' in html
    assert f'action="{_decide(own, review, "reject")}"' in html
    assert "Status: <strong>In progress</strong> · outcome: <strong>Pending</strong>" in html
    assert _data(html) == [
        {
            "id": str(markup.pk),
            "number": 1,
            "position": {"x": 10.0, "y": 20.5, "z": 3.0},
            "camera_position": None,
            "camera_target": None,
            "severity": "MAJOR",
            "status": "OPEN",
            "text": "Chamfer this edge",
        }
    ]
    assert "at (10.00, 20.50, 3.00) mm" in html
    assert 'id="markup-form"' in html
    # no preview yet: the viewer is a message, and no three.js is loaded
    assert "No 3D preview: this design has not been processed." in html
    assert 'type="importmap"' not in html and "design_viewer.js" not in html

    viewer_page = logged_in(vera).get(_page(own))  # a VIEWER, not a reviewer: reads, no forms
    assert viewer_page.status_code == 200
    assert viewer_page.context["reviews"][0]["may_decide"] is False
    assert 'id="markup-form"' not in viewer_page.content.decode()
    assert "Approve</button>" not in viewer_page.content.decode()


def test_processed_design_preview_is_served_to_the_viewer_and_recorded(alice, amir, bob, org_a, tmp_path):
    series = make_series(org_a, alice, part_number="BOX-1")
    content = fx.step_bytes(fx.box_shape(), tmp_path / "box.step")
    box = make_design(series, alice, content=content, filename="box.step", status="PROCESSING")
    design_process(design_id=box.pk, progress=lambda *_: None)
    box.refresh_from_db()
    assert box.status == "READY" and box.preview

    client = logged_in(amir)
    html = client.get(_page(box)).content.decode()
    assert f'data-preview-url="/console/designs/{box.pk}/preview.glb"' in html
    three = vendor_available("console/vendor/three/three.module.js")
    assert ('type="importmap"' in html, "console/design_viewer.js" in html) == (three, three)
    response = client.get(f"/console/designs/{box.pk}/preview.glb")
    assert response.status_code == 200
    assert (response["Content-Type"], response["Cache-Control"]) == ("model/gltf-binary", "private, no-store")
    body = b"".join(response.streaming_content)
    with box.preview.open("rb") as stored:
        assert body == stored.read()
    # the preview is in the design's own frame and millimetres: markups are placed in these coordinates
    bounds = trimesh.load(io.BytesIO(body), file_type="glb").bounds
    assert bounds.round(6).tolist() == [[0.0, 0.0, 0.0], [100.0, 50.0, 25.0]]
    [row] = AuditLog.objects.filter(action="PREVIEW", resource_id=str(box.pk))
    assert (row.actor_id, row.organization_id) == (str(amir.pk), org_a.pk)

    assert logged_in(bob).get(f"/console/designs/{box.pk}/preview.glb").status_code == 404
    bare = design(org_a, part_number="BARE-1")  # not processed: no preview
    missing = client.get(f"/console/designs/{bare.pk}/preview.glb")
    assert missing.status_code == 404
    assert "no web preview" in missing.content.decode()
    assert AuditLog.objects.filter(action="PREVIEW").count() == 1


# --- reviews ----------------------------------------------------------------------------------


def test_approve_and_reject_change_the_review_exactly_as_the_api_does(alice, amir, org_a, client_for):
    by_console, by_api = design(org_a, part_number="C-1"), design(org_a, part_number="A-1")
    console_review, api_review = _review(by_console, alice, [alice, amir]), _review(by_api, alice, [alice, amir])
    amir_console = logged_in(amir)

    response = amir_console.post(_decide(by_console, console_review, "approve"), {"comments": "Fits the housing"})
    assert (response.status_code, response["Location"]) == (
        302,
        f"/console/designs/{by_console.pk}/#review-{console_review.pk}",
    )
    api = client_for(amir).post(
        f"/api/reviews/{api_review.pk}/approve/", {"comments": "Fits the housing"}, format="json"
    )
    assert api.status_code == 200
    halfway = _state(by_console, console_review)
    assert halfway["review"] == ("IN_PROGRESS", "PENDING", False)
    assert halfway["design"] == ("IN_REVIEW", "")
    assert halfway["decisions"] == [
        ("alice@northwind.example", "PENDING", "", "", False),
        ("amir@northwind.example", "APPROVED", "Fits the housing", "", True),
    ]
    assert ("APPROVE", "ReviewSession", str(amir.pk), True) in halfway["audit"]
    assert halfway == _state(by_api, api_review)

    # the second reviewer rejects, in place with htmx: the block and the design's status come back
    reject = {"comments": "Hole too close to the edge", "reason": "EDGE_DISTANCE"}
    response = logged_in(alice).post(_decide(by_console, console_review, "reject"), reject, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert '<dd id="design-status" hx-swap-oob="true">' in fragment
    assert "Status: <strong>Completed</strong> · outcome: <strong>Rejected</strong>" in fragment
    assert "Rejected</span> (EDGE_DISTANCE)" in fragment
    assert "Approve</button>" not in fragment
    api = client_for(alice).post(f"/api/reviews/{api_review.pk}/reject/", reject, format="json")
    assert api.status_code == 200
    done = _state(by_console, console_review)
    assert done["review"] == ("COMPLETED", "REJECTED", True)
    assert done["design"] == ("REJECTED", "EDGE_DISTANCE")
    assert done == _state(by_api, api_review)

    # a closed review: 409 as in the API, nothing changes
    again = amir_console.post(_decide(by_console, console_review, "reject"), {})
    assert again.status_code == 409
    assert "already COMPLETED" in again.content.decode()
    assert _state(by_console, console_review) == done


def test_a_viewer_or_an_unassigned_member_is_refused_and_nothing_changes(alice, amir, vera, org_a):
    own = design(org_a)
    review = _review(own, alice, [alice])
    clients = [logged_in(vera), logged_in(amir)]
    before = _state(own, review)
    audit_rows = AuditLog.objects.count()
    for client in clients:
        plain = client.post(_decide(own, review, "approve"), {"comments": "ok"})
        assert plain.status_code == 403
        assert "Only an assigned reviewer of this review may approve or reject it." in plain.content.decode()
        in_place = client.post(_decide(own, review, "reject"), {"reason": "X"}, HTTP_HX_REQUEST="true")
        assert in_place.status_code == 403
        assert '<p class="error" role="alert">Only an assigned reviewer' in in_place.content.decode()
    point = {"x": "1", "y": "2", "z": "3", "annotation_text": "Looks thin", "severity": "INFO"}
    refused = clients[0].post(_markups(own), point)  # a VIEWER may not write markups
    assert refused.status_code == 403
    assert "Your role in this organization does not allow changes." in refused.content.decode()
    in_place = clients[0].post(_markups(own), point, HTTP_HX_REQUEST="true")
    assert in_place.status_code == 403
    assert '<p class="error" role="alert">Your role in this organization does not allow changes.</p>' in (
        in_place.content.decode()
    )
    assert _state(own, review) == before
    assert Markup.objects.count() == 0
    assert AuditLog.objects.count() == audit_rows


def test_another_organization_and_another_designs_review_are_not_found(alice, amir, bob, org_a, org_b):
    own = design(org_a)
    review = _review(own, alice, [alice, amir])
    other = design(org_a, part_number="OTHER-1")
    foreign = design(org_b, part_number="HEL-1")
    stranger = logged_in(bob)
    before = _state(own, review)
    assert stranger.get(_page(own)).status_code == 404
    assert stranger.post(_decide(own, review, "approve"), {}).status_code == 404
    assert stranger.post(_markups(own), {"x": 1, "y": 1, "z": 1, "annotation_text": "x"}).status_code == 404
    member = logged_in(amir)
    assert member.get(_page(foreign)).status_code == 404
    assert member.post(_decide(other, review, "approve"), {}).status_code == 404  # the review is not other's
    assert member.post(_decide(own, review, "approve").replace(str(review.pk), "not-a-uuid"), {}).status_code == 404
    assert _state(own, review) == before
    assert Markup.objects.count() == 0


def test_itar_design_is_refused_without_us_person_attestation(alice, amir, org_a):
    attest(alice, org_a, us_person=True)
    controlled = design(org_a, itar=True, part_number="ITAR-1")
    client = logged_in(amir)
    for response in (
        client.get(_page(controlled)),
        client.get(f"/console/designs/{controlled.pk}/preview.glb"),
        client.post(_markups(controlled), {"x": 1, "y": 1, "z": 1, "annotation_text": "x"}),
    ):
        assert response.status_code == 403
        assert "ITAR-controlled designs require US person status" in response.content.decode()
    assert AuditLog.objects.filter(action="ITAR_VIOLATION", resource_id=str(controlled.pk)).count() == 3
    assert Markup.objects.count() == 0
    assert logged_in(alice).get(_page(controlled)).status_code == 200  # attested US person


# --- markups ----------------------------------------------------------------------------------


GOOD = {
    "x": "12.5",
    "y": "-3",
    "z": "40.25",
    "annotation_text": "  Add R3 at the foot of the web  ",
    "severity": "MAJOR",
    "camera_x": "150",
    "camera_y": "-150",
    "camera_z": "120",
    "target_x": "50",
    "target_y": "25",
    "target_z": "12.5",
}


def test_markup_added_at_a_point_is_stored_through_the_service(alice, amir, org_a):
    own = design(org_a)
    review = _review(own, alice, [alice])
    client = logged_in(amir)
    response = client.post(_markups(own), {**GOOD, "review_session": str(review.pk)})
    assert (response.status_code, response["Location"]) == (302, f"/console/designs/{own.pk}/#markups")
    markup = Markup.objects.get()
    assert (markup.design_asset_id, markup.review_session_id, markup.author_id) == (own.pk, review.pk, amir.pk)
    assert markup.position == {"x": 12.5, "y": -3.0, "z": 40.25}
    assert (markup.camera_position, markup.camera_target) == (
        {"x": 150.0, "y": -150.0, "z": 120.0},
        {"x": 50.0, "y": 25.0, "z": 12.5},
    )
    assert (markup.annotation_text, markup.severity, markup.status) == (
        "Add R3 at the foot of the web",
        "MAJOR",
        "OPEN",
    )
    row = AuditLog.objects.get(action="CREATE", resource_type="Markup")
    assert (row.resource_id, row.actor_id) == (str(markup.pk), str(amir.pk))

    # in place with htmx: the block with the new markup and the viewer's data; no camera is fine
    point = {key: GOOD[key] for key in ("x", "y", "z", "severity")} | {"annotation_text": "Second"}
    fragment = client.post(_markups(own), point, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    data = _data(fragment.content.decode())
    assert [(item["number"], item["text"], item["camera_position"]) for item in data] == [
        (1, "Add R3 at the foot of the web", {"x": 150.0, "y": -150.0, "z": 120.0}),
        (2, "Second", None),
    ]
    assert Markup.objects.get(annotation_text="Second").review_session_id is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"x": ""}, "x", "This field is required."),
        ({"y": "north"}, "y", "Enter a number."),
        ({"z": "inf"}, "z", "Enter a number."),
        ({"z": "nan"}, "z", "Enter a number."),
        ({"annotation_text": "   "}, "annotation_text", "This field is required."),
        ({"annotation_text": "a" * 10001}, "annotation_text", "Ensure this value has at most 10000 characters"),
        ({"severity": "URGENT"}, "severity", "Select a valid choice. URGENT is not one of the available choices."),
        ({"review_session": "other"}, "review_session", "Select a valid choice."),
        ({"camera_z": ""}, "__all__", "Give all three camera coordinates or none."),
    ],
)
def test_bad_markup_input_is_refused_and_nothing_is_stored(alice, amir, org_a, change, field, message):
    own = design(org_a)
    other = design(org_a, part_number="OTHER-1")
    foreign_review = _review(other, alice, [alice])  # a review of another design
    if change.get("review_session") == "other":
        change = {"review_session": str(foreign_review.pk)}
    client = logged_in(amir)
    audit_rows = AuditLog.objects.count()
    response = client.post(_markups(own), {**GOOD, **change})
    assert response.status_code == 400
    errors = response.context["markup_form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    html = response.content.decode()
    assert 'id="markup-form"' in html and 'name="camera_x" id="id_camera_x" value="150"' in html  # input kept
    in_place = client.post(_markups(own), {**GOOD, **change}, HTTP_HX_REQUEST="true")
    assert in_place.status_code == 400
    assert 'class="error"' in in_place.content.decode()
    assert Markup.objects.count() == 0
    assert AuditLog.objects.count() == audit_rows


def test_rejection_reason_too_long_is_refused_and_nothing_changes(alice, org_a):
    own = design(org_a)
    review = _review(own, alice, [alice])
    before = _state(own, review)
    client = logged_in(alice)
    response = client.post(_decide(own, review, "reject"), {"reason": "R" * 101})
    assert response.status_code == 400
    assert "reason: Ensure this value has at most 100 characters (it has 101)." in response.content.decode()
    in_place = client.post(_decide(own, review, "reject"), {"reason": "R" * 101}, HTTP_HX_REQUEST="true")
    assert in_place.status_code == 400
    assert _state(own, review) == before


# --- upload a new version ---------------------------------------------------------------------


def _upload(client, series, name: str, content: bytes, material: str = "Ti-6Al-4V"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/console/designs/series/{series.pk}/upload/",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream"), "material": material},
    )


def test_a_member_uploads_a_version_and_the_design_page_follows_its_processing_job(amir, org_a, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    series = make_series(org_a, amir, part_number="UP-1")
    content = fx.step_bytes(fx.box_shape(), tmp_path / "box.step")
    client = logged_in(amir)
    response = _upload(client, series, "box.step", content)
    design_row = DesignAsset.objects.get(series=series)
    assert response.status_code == 302
    assert response["Location"] == f"/console/designs/{design_row.pk}/"
    assert (design_row.version_number, design_row.status, design_row.material, design_row.file_size_bytes) == (
        1,
        "PROCESSING",
        "Ti-6Al-4V",
        len(content),
    )
    job = design_row.processing_job
    assert job is not None and job.status == "PENDING"
    assert AuditLog.objects.filter(resource_id=str(design_row.pk), action="CREATE").count() == 1
    page = client.get(f"/console/designs/{design_row.pk}/").content.decode()
    assert 'id="processing"' in page
    assert f'hx-get="/console/admin/jobs/{job.pk}/progress/"' in page
    assert "Pending · 0 %" in page
    # Once the job has run, the page has no progress section and shows the measured box.
    design_process(design_id=str(design_row.pk), progress=lambda current, total, message: None)
    job.status = "SUCCESS"
    job.save(update_fields=["status"])
    page = client.get(f"/console/designs/{design_row.pk}/").content.decode()
    assert 'id="processing"' not in page
    assert "125000.000 mm³" in page


@pytest.mark.parametrize(
    ("name", "content", "status", "reason"),
    [
        ("notes.txt", b"hello", 400, "Not uploaded:"),
        ("box.step", b"not a step file at all", 400, "Not uploaded:"),
    ],
)
def test_a_bad_file_is_refused_beside_the_form_and_nothing_is_stored(amir, org_a, name, content, status, reason):
    series = make_series(org_a, amir, part_number="UP-2")
    response = _upload(logged_in(amir), series, name, content)
    assert response.status_code == status
    assert reason in response.content.decode()
    assert not DesignAsset.objects.filter(series=series).exists()


def test_a_viewer_cannot_upload_and_another_organizations_series_is_404(vera, amir, org_a, org_b):
    own = make_series(org_a, amir, part_number="UP-3")
    refused = _upload(logged_in(vera), own, "box.stl", b"solid x\nendsolid x\n")
    assert refused.status_code == 403
    assert 'name="file"' not in logged_in(vera).get("/console/designs/").content.decode()  # no form for a viewer
    foreign = make_series(org_b, None, part_number="UP-4")
    assert _upload(logged_in(amir), foreign, "box.stl", b"solid x\nendsolid x\n").status_code == 404
    assert not DesignAsset.objects.filter(series__in=[own, foreign]).exists()
