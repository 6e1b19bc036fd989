"""The console's second slice through the test client: the Socket.IO token and the live fragments, the
pipelines page (map data, figures, findings with Verify / False positive, alerts with Resolve)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.alerts.tests.factories import alert
from custos.audit.models import AuditLog
from custos.console.state import SESSION_KEY
from custos.console.tests.test_console import device, logged_in, twin_alarm
from custos.events.selectors import user_for_token
from custos.identity.tokens import decode
from custos.modules.pipelines.models import AnalysisResult, Pipeline, PipelineSegment, SatelliteImage

pytestmark = pytest.mark.django_db

ROUTE = {"type": "LineString", "coordinates": [[23.0, 38.0], [23.1, 38.05]]}
AREA = {"type": "Polygon", "coordinates": [[[23.04, 38.02], [23.06, 38.02], [23.06, 38.03], [23.04, 38.02]]]}


def pipeline(org, name="Ionian"):
    return Pipeline.objects.create(
        organization=org, name=name, length_km=12.0, diameter_mm=500, material="steel", route=ROUTE
    )


def finding(line, *, severity="high", status="pending"):
    image = SatelliteImage.objects.create(
        organization=line.organization,
        pipeline=line,
        image_date=timezone.now(),
        satellite_name="Sentinel-2A",
        resolution_m=10.0,
    )
    return AnalysisResult.objects.create(
        organization=line.organization,
        satellite_image=image,
        analysis_type="leak_detection",
        confidence_score=0.91,
        severity=severity,
        status=status,
        detected_location={"type": "Point", "coordinates": [23.05, 38.025]},
        affected_area=AREA,
    )


# --- live updates ---------------------------------------------------------------------------------


def test_live_token_is_bound_to_the_console_session_and_accepted_by_the_socket_server(alice):
    assert Client().get("/console/live/token/").status_code == 401
    client = logged_in(alice)
    response = client.get("/console/live/token/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    claims = decode(body["token"])
    assert (claims["token_type"], claims["user_id"], claims["sid"]) == (
        "access",
        str(alice.pk),
        client.session[SESSION_KEY],
    )
    assert claims["ver"] == alice.token_version
    assert body["expires_in"] == 300 and claims["exp"] - claims["iat"] == 300
    assert user_for_token(token=body["token"]) == alice


def test_live_token_refused_to_other_sites_and_after_logout(alice):
    client = logged_in(alice)
    assert client.get("/console/live/token/", HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    assert client.get("/console/live/token/", HTTP_SEC_FETCH_SITE="same-origin").status_code == 200
    token = client.get("/console/live/token/", HTTP_SEC_FETCH_SITE="same-origin").json()["token"]
    assert user_for_token(token=token) == alice
    client.post("/console/logout/")
    assert client.get("/console/live/token/").status_code == 401
    # the socket layer checks the token's session like the API does: logging out ends the live token too
    assert user_for_token(token=token) is None


def test_fleet_page_declares_its_live_regions_and_the_grid_fragment_is_scoped(alice, org_a, org_b):
    device(org_a, "DEV_A")
    device(org_b, "DEV_B")
    twin_alarm(org_a, "DEV_A")
    client = logged_in(alice)
    page = client.get("/console/twin/").content.decode()
    assert 'data-live-token-url="/console/live/token/"' in page
    assert 'data-live-on="dashboard_update alert_update alert_acknowledged"' in page
    assert 'hx-trigger="every 5s [!document.body.dataset.live]"' in page
    grid = client.get("/console/twin/grid/")
    assert grid.status_code == 200
    text = grid.content.decode()
    assert 'data-device="DEV_A"' in text and "Open alarms: 1" in text and "DEV_B" not in text
    assert "<html" not in text
    assert Client().get("/console/twin/grid/").status_code == 302


# --- pipelines ------------------------------------------------------------------------------------


def test_pipelines_page_map_data_figures_and_tenancy(alice, org_a, org_b):
    line = pipeline(org_a)
    PipelineSegment.objects.create(
        organization=org_a,
        pipeline=line,
        segment_name="S1",
        segment_number=1,
        length_km=6.0,
        geometry=ROUTE,
        risk_level="high",
    )
    found = finding(line)
    finding(line, status="false_positive")  # closed: neither listed nor drawn
    foreign = pipeline(org_b, name="Foreign line")
    finding(foreign)
    alert(organization=org_a, source="pipeline", severity="critical", message="Leak suspected")
    alert(organization=org_b, source="pipeline", message="Foreign leak")
    response = logged_in(alice).get("/console/pipelines/")
    assert response.status_code == 200
    data = json.loads(json.dumps(response.context["map"]))  # what json_script writes
    assert [f["properties"]["name"] for f in data["routes"]["features"]] == ["Ionian"]
    assert data["routes"]["features"][0]["geometry"] == ROUTE
    assert [(f["properties"]["name"], f["properties"]["risk"]) for f in data["segments"]["features"]] == [
        ("Ionian · S1", "high")
    ]
    assert [f["properties"]["id"] for f in data["findings"]["features"]] == [str(found.pk)]
    assert data["areas"]["features"][0]["geometry"] == AREA
    figures = response.context["figures"]
    assert (
        figures["total_pipelines"],
        figures["total_images"],
        figures["active_alerts"],
        figures["critical_alerts"],
    ) == (
        1,
        2,
        1,
        1,
    )
    content = response.content.decode()
    assert 'id="pipeline-map-data"' in content and "Foreign" not in content
    assert "Leak suspected" in content and f'id="finding-{found.pk}"' in content


def test_member_verifies_and_marks_a_false_positive_through_the_services(amir, org_a):
    line = pipeline(org_a)
    first, second = finding(line), finding(line)
    raised = alert(organization=org_a, source="pipeline", message="Leak")
    second.alert = raised
    second.status = "alert_created"
    second.save()
    client = logged_in(amir)
    response = client.post(f"/console/pipelines/findings/{first.pk}/verify/", {"notes": "Seen on site"})
    assert (response.status_code, response["Location"]) == (302, "/console/pipelines/")
    first.refresh_from_db()
    assert (first.status, first.verified_by, first.verification_notes) == ("verified", amir, "Seen on site")
    assert AuditLog.objects.filter(action="VERIFY", resource_id=str(first.pk)).count() == 1
    fragment = client.post(
        f"/console/pipelines/findings/{second.pk}/false-positive/", {"notes": "Cloud"}, HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and b"<html" not in fragment.content
    assert b"False positive by amir@northwind.example" in fragment.content
    second.refresh_from_db()
    raised.refresh_from_db()
    assert (second.status, raised.status) == ("false_positive", AlertStatus.RESOLVED)
    again = client.post(f"/console/pipelines/findings/{second.pk}/false-positive/")
    assert again.status_code == 409


def test_member_resolves_a_pipeline_alert_and_its_finding_closes(amir, org_a):
    line = pipeline(org_a)
    result = finding(line)
    raised = alert(organization=org_a, source="pipeline", message="Leak")
    AnalysisResult.objects.filter(pk=result.pk).update(alert=raised, status="alert_created")
    client = logged_in(amir)
    response = client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/", {"notes": "Valve replaced"})
    assert (response.status_code, response["Location"]) == (302, "/console/pipelines/")
    raised.refresh_from_db()
    result.refresh_from_db()
    assert (raised.status, result.status) == (AlertStatus.RESOLVED, "resolved")
    assert AuditLog.objects.filter(action="RESOLVE", resource_id=str(raised.pk)).count() == 1
    assert client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/").status_code == 404  # no longer open


def test_viewer_cannot_review_or_resolve_and_nothing_changes(vera, org_a):
    line = pipeline(org_a)
    result = finding(line)
    raised = alert(organization=org_a, source="pipeline", message="Leak")
    client = logged_in(vera)
    page = client.get("/console/pipelines/").content
    assert b">Verify</button>" not in page and b">Resolve</button>" not in page
    assert client.post(f"/console/pipelines/findings/{result.pk}/verify/").status_code == 403
    assert client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/").status_code == 403
    result.refresh_from_db()
    assert (result.status, result.verified_by) == ("pending", None)
    assert Alert.objects.get(pk=raised.pk).status == AlertStatus.OPEN


def test_another_organizations_finding_or_alert_is_a_404_and_bad_notes_a_400(alice, org_a, org_b):
    result = finding(pipeline(org_b))
    raised = alert(organization=org_b, source="pipeline", message="Foreign leak")
    twin = alert(organization=org_a, source="twin", message="Not a pipeline alert")
    client = logged_in(alice)
    assert client.post(f"/console/pipelines/findings/{result.pk}/verify/").status_code == 404
    assert client.post(f"/console/pipelines/findings/{result.pk}/false-positive/").status_code == 404
    assert client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/").status_code == 404
    assert client.post(f"/console/pipelines/alerts/{twin.pk}/resolve/").status_code == 404
    assert client.post("/console/pipelines/alerts/not-a-uuid/resolve/").status_code == 404
    own = finding(pipeline(org_a))
    assert client.post(f"/console/pipelines/findings/{own.pk}/verify/", {"notes": "x" * 5001}).status_code == 400
    own.refresh_from_db()
    assert own.status == "pending"
    assert AnalysisResult.objects.get(pk=result.pk).status == "pending"
    assert Alert.objects.get(pk=raised.pk).status == AlertStatus.OPEN


def test_pipeline_writes_need_the_csrf_token(alice, org_a):
    raised = alert(organization=org_a, source="pipeline", message="Leak")
    client = logged_in(alice, csrf=True)
    assert client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/").status_code == 403
    assert Alert.objects.get(pk=raised.pk).status == AlertStatus.OPEN
    page = client.get("/console/pipelines/")
    token = str(page.context["csrf_token"])
    assert (
        client.post(f"/console/pipelines/alerts/{raised.pk}/resolve/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert Alert.objects.get(pk=raised.pk).status == AlertStatus.RESOLVED
