"""The console pages through Django's test client: login (e-mail or username, lockout, audit), logout
(here and everywhere), the organization switcher, every page's tenancy, roles and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from conftest import PASSWORD
from custos.alerts.choices import AlertStatus
from custos.alerts.models import Alert
from custos.alerts.tests.factories import alert
from custos.audit.models import AuditLog
from custos.console.state import SESSION_KEY
from custos.console.views.twin import chart_of
from custos.devices.models import Device, Reading
from custos.identity.models import AuthSession
from custos.jobs.models import Job, JobStatus
from custos.jobs.tests.factories import job
from custos.modules.plm.models import AssemblyNode, DesignAsset, DesignSeries
from custos.ops.models import SystemSettings
from custos.orgs.tests.factories import membership

pytestmark = pytest.mark.django_db


def logged_in(user, *, identifier=None, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    page = client.get("/console/login/")
    response = client.post(
        "/console/login/",
        {
            "identifier": identifier or user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": str(page.context["csrf_token"]),
        },
    )
    assert response.status_code == 302, response.content
    return client


def device(org, device_id, status="normal"):
    return Device.objects.create(
        organization=org, device_id=device_id, device_type="temperature_sensor", status=status, unit="°C"
    )


def twin_alarm(org, device_id, message="Temperature above 80"):
    return alert(
        organization=org,
        source="twin",
        alert_type="temperature_high",
        severity="high",
        subject_type="device",
        subject_id=device_id,
        message=message,
    )


def design(org, *, classification="UNCLASSIFIED", itar=False, part_number="BRK-1"):
    series = DesignSeries.objects.create(
        organization=org, part_number=part_number, name="Bracket", classification="UNCLASSIFIED"
    )
    return DesignAsset.objects.create(
        organization=org,
        series=series,
        version_number=1,
        filename="bracket.step",
        file_format="STEP",
        status="READY",
        classification=classification,
        itar_controlled=itar,
        volume_cubic_mm=125000.0,
        surface_area_sq_mm=17500.0,
    )


# --- login, logout, organizations ---------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(alice):
    client = Client()
    response = client.get("/console/twin/")
    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=/console/twin/"
    response = client.post("/console/login/", {"identifier": "ALICE", "password": PASSWORD, "next": "/console/twin/"})
    assert (response.status_code, response["Location"]) == (302, "/console/twin/")
    session = AuthSession.objects.get(user=alice)
    assert client.session[SESSION_KEY] == str(session.pk)
    assert session.device_name == "Operator console"
    row = AuditLog.objects.get(action="LOGIN", resource_id=str(session.pk))
    assert row.changes["channel"] == "console"
    assert client.get("/console/twin/").status_code == 200


def test_login_by_email_and_a_foreign_next_is_ignored(alice):
    client = Client()
    response = client.post(
        "/console/login/", {"identifier": alice.email, "password": PASSWORD, "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/console/"


def test_wrong_password_is_refused_counted_and_locks_out(alice):
    record = SystemSettings.load()
    record.failed_login_lockout = 2
    record.save()
    client = Client()
    first = client.post("/console/login/", {"identifier": alice.email, "password": "wrong"})
    assert first.status_code == 401
    assert b"No active account found" in first.content
    second = client.post("/console/login/", {"identifier": alice.email, "password": "wrong"})
    assert second.status_code == 401
    locked = client.post("/console/login/", {"identifier": alice.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert AuthSession.objects.filter(user=alice).count() == 0
    assert list(
        AuditLog.objects.filter(resource_type="User").order_by("sequence").values_list("action", flat=True)
    ) == ["LOGIN_FAILED", "LOGIN_FAILED", "LOCKOUT", "LOGIN_LOCKED"]


def test_empty_login_form_is_a_400(db):
    assert Client().post("/console/login/", {"identifier": "", "password": ""}).status_code == 400


def test_csrf_is_enforced_on_login_and_writes(alice, org_a):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/console/login/", {"identifier": alice.email, "password": PASSWORD}).status_code == 403
    assert not AuthSession.objects.filter(user=alice).exists()
    page = client.get("/console/login/")
    token = page.context["csrf_token"]
    assert (
        client.post(
            "/console/login/", {"identifier": alice.email, "password": PASSWORD, "csrfmiddlewaretoken": str(token)}
        ).status_code
        == 302
    )
    device(org_a, "DEV_A")
    alarm = twin_alarm(org_a, "DEV_A")
    assert client.post(f"/console/twin/alarms/{alarm.pk}/acknowledge/").status_code == 403
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None


def test_logout_revokes_the_session_and_everywhere_revokes_all(alice):
    client = logged_in(alice)
    other = logged_in(alice)
    response = client.post("/console/logout/")
    assert (response.status_code, response["Location"]) == (302, "/console/login/")
    assert client.get("/console/twin/").status_code == 302
    assert other.get("/console/twin/").status_code == 200
    assert AuthSession.objects.filter(user=alice, revoked_at__isnull=True).count() == 1
    other.post("/console/logout/", {"everywhere": "1"})
    assert AuthSession.objects.filter(user=alice, revoked_at__isnull=True).count() == 0
    assert AuditLog.objects.filter(action="REVOKE_ALL").count() == 1


def test_a_revoked_session_ends_the_console(alice):
    client = logged_in(alice)
    AuthSession.objects.filter(user=alice).update(revoked_at=timezone.now())
    assert client.get("/console/twin/")["Location"].startswith("/console/login/")


def test_organization_switcher(alice, org_a, org_b, bob):
    membership(user=alice, organization=org_b, role="VIEWER")
    device(org_a, "DEV_A")
    device(org_b, "DEV_B")
    client = logged_in(alice)
    page = client.get("/console/twin/")
    assert b"Helios Foods" in page.content and b"Northwind Energy" in page.content
    assert [c["device"].device_id for c in page.context["cards"]] == ["DEV_B"]  # Helios comes first by name
    response = client.post("/console/organization/", {"organization": str(org_a.pk), "next": "/console/twin/"})
    assert response["Location"] == "/console/twin/"
    assert [c["device"].device_id for c in client.get("/console/twin/").context["cards"]] == ["DEV_A"]


def test_switching_to_a_foreign_organization_is_a_404(alice, org_b):
    client = logged_in(alice)
    assert client.post("/console/organization/", {"organization": str(org_b.pk)}).status_code == 404


# --- twin -------------------------------------------------------------------------------------


def test_fleet_shows_own_devices_with_status_and_open_alarms(alice, org_a, org_b):
    device(org_a, "DEV_A", status="critical")
    device(org_b, "DEV_B")
    Reading.objects.create(
        device=Device.objects.get(device_id="DEV_A"), organization=org_a, timestamp=timezone.now(), value=91.5
    )
    twin_alarm(org_a, "DEV_A")
    twin_alarm(org_b, "DEV_B", message="foreign alarm")
    page = logged_in(alice).get("/console/twin/")
    assert page.status_code == 200
    [shown] = page.context["cards"]
    assert (shown["device"].device_id, shown["device"].latest_value, shown["open_alarms"]) == ("DEV_A", 91.5, 1)
    assert b"Status: Critical" in page.content
    assert b"foreign alarm" not in page.content and b"DEV_B" not in page.content


def test_device_page_history_and_tenancy(alice, org_a, org_b):
    dev = device(org_a, "DEV_A")
    device(org_b, "DEV_B")
    now = timezone.now()
    for minutes, value in ((30, 10.0), (20, 20.0), (10, 30.0)):
        Reading.objects.create(device=dev, organization=org_a, timestamp=now - timedelta(minutes=minutes), value=value)
    client = logged_in(alice)
    page = client.get("/console/twin/devices/DEV_A/?hours=1&interval=raw&agg=avg")
    assert page.status_code == 200
    assert [value for _, value in page.context["rows"]] == [10.0, 20.0, 30.0]
    assert page.context["chart"].minimum == 10.0 and page.context["chart"].maximum == 30.0
    bucketed = client.get("/console/twin/devices/DEV_A/?hours=1&interval=3600&agg=max")
    assert sum(1 for _ in bucketed.context["rows"]) in (1, 2)
    assert max(value for _, value in bucketed.context["rows"]) == 30.0
    assert client.get("/console/twin/devices/DEV_B/").status_code == 404
    assert client.get("/console/twin/devices/DEV_A/?hours=5").status_code == 400
    assert client.get("/console/twin/devices/DEV_A/?metric=a%20b").status_code == 400


def test_chart_scales_into_the_box():
    now = timezone.now()
    chart = chart_of([now, now + timedelta(seconds=10), now + timedelta(seconds=20)], [0.0, 5.0, 10.0])
    assert chart.points == "0.0,160.0 300.0,80.0 600.0,0.0"
    assert chart_of([now], [1.0]) is None


def test_member_acknowledges_an_alarm(amir, org_a):
    device(org_a, "DEV_A")
    alarm = twin_alarm(org_a, "DEV_A")
    client = logged_in(amir)
    response = client.post(f"/console/twin/alarms/{alarm.pk}/acknowledge/", {"next": "/console/twin/"})
    assert (response.status_code, response["Location"]) == (302, "/console/twin/")
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, amir)
    assert AuditLog.objects.filter(action="ACKNOWLEDGE", resource_id=str(alarm.pk)).count() == 1
    fragment = client.post(f"/console/twin/alarms/{alarm.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert b"Acknowledged by amir@northwind.example" in fragment.content
    assert b"<html" not in fragment.content


def test_viewer_cannot_acknowledge(vera, org_a):
    device(org_a, "DEV_A")
    alarm = twin_alarm(org_a, "DEV_A")
    client = logged_in(vera)
    assert b"Acknowledge</button>" not in client.get("/console/twin/").content
    assert client.post(f"/console/twin/alarms/{alarm.pk}/acknowledge/").status_code == 403
    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_at) == (AlertStatus.OPEN, None)


def test_another_organizations_alarm_is_a_404(alice, org_b):
    alarm = twin_alarm(org_b, "DEV_B")
    client = logged_in(alice)
    assert client.post(f"/console/twin/alarms/{alarm.pk}/acknowledge/").status_code == 404
    assert client.post("/console/twin/alarms/not-a-uuid/acknowledge/").status_code == 404
    assert Alert.objects.get(pk=alarm.pk).acknowledged_at is None


# --- admin ------------------------------------------------------------------------------------


def test_audit_log_search_is_scoped(alice, bob):
    logged_in(bob)
    client = logged_in(alice)
    page = client.get("/console/admin/audit/?q=login")
    rows = list(page.context["page"])
    assert rows and all(row.action == "LOGIN" for row in rows)
    assert {row.actor_id for row in rows} == {str(alice.pk)}
    assert client.get("/console/admin/audit/?q=zzz-nothing").context["page"].paginator.count == 0


def test_jobs_progress_and_cancel(alice, amir, bob, org_a, org_b):
    mine = job(owner=alice, organization=org_a, status=JobStatus.PROGRESS, progress_current=3, progress_total=4)
    foreign = job(owner=bob, organization=org_b)
    client = logged_in(alice)
    page = client.get("/console/admin/jobs/")
    assert [j.pk for j in page.context["jobs"]] == [mine.pk]
    assert b'value="75"' in page.content
    assert client.post(f"/console/admin/jobs/{foreign.pk}/cancel/").status_code == 404
    assert Job.objects.get(pk=foreign.pk).status == JobStatus.PENDING
    assert client.post(f"/console/admin/jobs/{mine.pk}/cancel/").status_code == 302
    assert Job.objects.get(pk=mine.pk).status == JobStatus.CANCELLED
    assert client.post(f"/console/admin/jobs/{mine.pk}/cancel/").status_code == 409
    # a plain member sees only their own jobs
    assert list(logged_in(amir).get("/console/admin/jobs/").context["jobs"]) == []


def test_members_and_invitations(alice, amir, vera, bob):
    page = logged_in(alice).get("/console/admin/members/")
    assert sorted(m.user.email for m in page.context["members"]) == sorted([alice.email, amir.email, vera.email])
    assert b"bob@helios.example" not in page.content


# --- quality, designs, pipelines ----------------------------------------------------------------


def test_quality_page_counts_only_own_samples(alice):
    page = logged_in(alice).get("/console/quality/")
    assert page.status_code == 200
    assert page.context["figures"]["total_analyses"] == 0
    assert [row["grade"] for row in page.context["distribution"]] == ["A+", "A", "B", "C", "REJECT"]


def test_designs_list_detail_bom_and_tenancy(alice, org_a, org_b):
    own = design(org_a)
    foreign = design(org_b, part_number="HEL-1")
    root = AssemblyNode.objects.create(
        organization=org_a, design_asset=own, path="0001", depth=0, part_name="Frame", quantity=1, is_assembly=True
    )
    AssemblyNode.objects.create(
        organization=org_a, design_asset=own, parent=root, path="0001.0001", depth=1, part_name="Bolt", quantity=4
    )
    client = logged_in(alice)
    listing = client.get("/console/designs/")
    assert [row["series"].part_number for row in listing.context["rows"]] == ["BRK-1"]
    page = client.get(f"/console/designs/{own.pk}/")
    assert page.status_code == 200
    assert b"125000.000 mm" in page.content and b"17500.000 mm" in page.content
    assert page.context["bom"]["total_part_instances"] == 4
    assert b"Bolt" in page.content
    assert client.get(f"/console/designs/{foreign.pk}/").status_code == 404


def test_itar_design_is_refused_and_logged_for_a_non_us_person(amir, org_a):
    controlled = design(org_a, itar=True, part_number="ITAR-1")
    client = logged_in(amir)
    assert client.get("/console/designs/").context["rows"][0]["designs"] == []
    response = client.get(f"/console/designs/{controlled.pk}/")
    assert response.status_code == 403
    assert AuditLog.objects.filter(action="ITAR_VIOLATION", resource_id=str(controlled.pk)).count() == 1


def test_pipelines_page_shows_own_alerts_only(alice, org_a, org_b):
    alert(organization=org_a, source="pipeline", message="Leak suspected")
    alert(organization=org_b, source="pipeline", message="Foreign leak")
    page = logged_in(alice).get("/console/pipelines/")
    assert page.status_code == 200
    assert b"Leak suspected" in page.content and b"Foreign leak" not in page.content


def test_a_user_without_organization_gets_a_clear_refusal(staff):
    assert logged_in(staff).get("/console/twin/").status_code == 403
