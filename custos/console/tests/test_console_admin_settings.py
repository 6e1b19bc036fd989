"""The console's settings page through the test client: the organization's profile (read by every member,
changed by OWNER/ADMIN through ``organization_update``, audited once) and the platform's settings record
(platform staff only, through ``settings_update``); bad values refused inline with nothing stored."""

from __future__ import annotations

import pytest
from django.test import Client

from custos.audit.models import AuditLog
from custos.console.tests.test_console import logged_in
from custos.ops import services as ops
from custos.ops.models import SystemSettings
from custos.orgs.models import Organization

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
PROFILE = {
    "name": "Northwind Energy AS",
    "description": "Grid operator, North Sea",
    "contact_email": "ops@northwind.example",
    "contact_phone": "+47 22 00 00 00",
}


def profile(org) -> dict[str, str]:
    org = Organization.objects.get(pk=org.pk)
    return {name: getattr(org, name) for name in PROFILE}


def updates_of(org) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="UPDATE", resource_type="Organization", resource_id=str(org.pk)))


def section(response, key):
    return next(item for item in response.context["sections"] if item.key == key)


def errors_of(sec) -> dict[str, tuple[str, ...]]:
    return {item.name: item.errors for item in sec.fields if item.errors}


def settings_values() -> dict[str, object]:
    record, _ = SystemSettings.objects.get_or_create(singleton=True)  # from the database, not the cache
    return {
        name: getattr(record, name) for name in ("site_name", "timezone", "password_min_length", "sms_notifications")
    }


def test_members_read_the_profile_without_a_form_and_no_platform_settings(org_a, amir, vera):
    Organization.objects.filter(pk=org_a.pk).update(contact_email="desk@northwind.example")
    for person in (amir, vera):
        response = logged_in(person).get("/console/admin/settings/")
        assert response.status_code == 200
        assert [item.key for item in response.context["sections"]] == ["organization"]
        org = section(response, "organization")
        assert org.editable is False
        assert {item.name: item.value for item in org.fields} == {
            "name": "Northwind Energy",
            "description": "",
            "contact_email": "desk@northwind.example",
            "contact_phone": "",
        }
        assert b"<dd>desk@northwind.example</dd>" in response.content
        assert b'action="/console/admin/settings/organization/"' not in response.content
        assert b"settings-system" not in response.content


def test_a_viewer_cannot_change_the_profile_and_nothing_changes(org_a, vera):
    before = profile(org_a)
    response = logged_in(vera).post("/console/admin/settings/organization/", PROFILE)
    assert response.status_code == 403
    assert b"OWNER or ADMIN" in response.content
    assert profile(org_a) == before
    assert updates_of(org_a) == []
    # a plain member neither
    assert logged_in(vera).post("/console/admin/settings/organization/", PROFILE, **HTMX).status_code == 403
    assert profile(org_a) == before


def test_an_admin_change_is_stored_and_audited_once(org_a, adam):
    client = logged_in(adam)
    form = client.get("/console/admin/settings/")
    assert section(form, "organization").editable is True
    assert b'action="/console/admin/settings/organization/"' in form.content
    response = client.post("/console/admin/settings/organization/", PROFILE)
    assert (response.status_code, response["Location"]) == (302, "/console/admin/settings/?saved=organization")
    assert profile(org_a) == PROFILE
    [row] = updates_of(org_a)
    assert row.actor_id == str(adam.pk)
    assert row.organization_id == org_a.pk
    assert row.changes == {
        "name": {"old": "Northwind Energy", "new": "Northwind Energy AS"},
        "description": {"old": "", "new": "Grid operator, North Sea"},
        "contact_email": {"old": "", "new": "ops@northwind.example"},
        "contact_phone": {"old": "", "new": "+47 22 00 00 00"},
    }
    page = client.get(response["Location"])
    assert section(page, "organization").saved is True
    assert b'<p class="saved" role="status">Saved.</p>' in page.content


def test_htmx_post_answers_the_section_fragment(org_a, alice):
    response = logged_in(alice).post("/console/admin/settings/organization/", {**PROFILE, "name": "Northwind"}, **HTMX)
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<section id="settings-organization"')
    assert b"<html" not in response.content
    assert b"Saved." in response.content
    assert profile(org_a)["name"] == "Northwind"
    assert len(updates_of(org_a)) == 1


def test_platform_fields_sent_by_an_owner_are_ignored(org_a, alice):
    response = logged_in(alice).post(
        "/console/admin/settings/organization/",
        {**PROFILE, "max_users": "999", "subscription_tier": "ENTERPRISE", "is_active": ""},
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=org_a.pk)
    assert (org.max_users, org.subscription_tier, org.is_active) == (org_a.max_users, org_a.subscription_tier, True)
    [row] = updates_of(org_a)
    assert set(row.changes) == {"name", "description", "contact_email", "contact_phone"}


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_values_are_refused_inline_and_nothing_is_stored(org_a, adam, htmx):
    before = profile(org_a)
    bad = {"name": "  ", "description": "ok", "contact_email": "not-an-address", "contact_phone": "1" * 33}
    response = logged_in(adam).post("/console/admin/settings/organization/", bad, **(HTMX if htmx else {}))
    assert response.status_code == 400
    sec = response.context["section"] if htmx else section(response, "organization")
    assert errors_of(sec) == {
        "name": ("This field may not be blank.",),
        "contact_email": ("Enter a valid email address.",),
        "contact_phone": ("Ensure this field has no more than 32 characters.",),
    }
    values = {item.name: item.value for item in sec.fields}
    assert values["contact_email"] == "not-an-address"  # what was typed stays in the form
    content = response.content.decode()
    assert "Nothing was saved: correct the fields marked below." in content
    assert 'id="setting-organization-contact_email-error"' in content
    assert 'aria-describedby="setting-organization-contact_email-error"' in content
    assert (b"<html" in response.content) is not htmx
    assert profile(org_a) == before
    assert updates_of(org_a) == []


def test_another_organization_is_never_touched(org_a, org_b, alice, bob):
    client = logged_in(bob)
    page = client.get("/console/admin/settings/")
    assert section(page, "organization").title == "Organization: Helios Foods"
    assert b"Northwind" not in page.content
    # bob cannot switch the console into org_a (404) and his post changes only his own organization
    assert client.post("/console/organization/", {"organization": str(org_a.pk)}).status_code == 404
    response = client.post("/console/admin/settings/organization/", {**PROFILE, "name": "Helios Foods ASA"})
    assert response.status_code == 302
    assert profile(org_a) == {"name": "Northwind Energy", "description": "", "contact_email": "", "contact_phone": ""}
    assert updates_of(org_a) == []
    assert Organization.objects.get(pk=org_b.pk).name == "Helios Foods ASA"
    assert len(updates_of(org_b)) == 1


def test_platform_settings_are_staff_only(org_a, alice):
    before = settings_values()
    client = logged_in(alice)
    response = client.post("/console/admin/settings/system/", system_form(site_name="Mine", password_min_length="9"))
    assert response.status_code == 403
    assert settings_values() == before
    assert not AuditLog.objects.filter(resource_type="SystemSettings").exists()


def system_form(**overrides: str) -> dict[str, str]:
    """The platform settings form as the page posts it: every field, checkboxes only when on."""
    record = SystemSettings.load()
    form = {}
    for name in ops.EDITABLE_SETTINGS:
        value = getattr(record, name)
        if isinstance(value, bool):
            if value:
                form[name] = "on"
        else:
            form[name] = str(value)
    form.update(overrides)
    return form


def test_staff_change_the_platform_settings_audited_outside_any_organization(staff):
    client = logged_in(staff)
    page = client.get("/console/admin/settings/")
    assert page.status_code == 200
    assert [item.key for item in page.context["sections"]] == ["system"]
    posted = system_form(
        site_name="Custos North", timezone="Europe/Oslo", password_min_length="12", sms_notifications="on"
    )
    response = client.post("/console/admin/settings/system/", posted)
    assert (response.status_code, response["Location"]) == (302, "/console/admin/settings/?saved=system")
    assert settings_values() == {
        "site_name": "Custos North",
        "timezone": "Europe/Oslo",
        "password_min_length": 12,
        "sms_notifications": True,
    }
    [row] = AuditLog.objects.filter(action="UPDATE", resource_type="SystemSettings")
    assert row.organization_id is None
    assert row.actor_id == str(staff.pk)
    assert {name: change["new"] for name, change in row.changes.items()} == {
        "site_name": "Custos North",
        "timezone": "Europe/Oslo",
        "password_min_length": 12,
        "sms_notifications": True,
    }


def test_staff_bad_platform_values_are_refused_inline(staff):
    before = settings_values()
    client = logged_in(staff)
    response = client.post(
        "/console/admin/settings/system/",
        system_form(site_name="X", timezone="Mars/Olympus", password_min_length="4", max_file_size_mb="lots"),
        **HTMX,
    )
    assert response.status_code == 400
    errors = errors_of(response.context["section"])
    assert errors == {
        "password_min_length": ("Ensure this value is greater than or equal to 8.",),
        "max_file_size_mb": ("A valid integer is required.",),
    }
    assert settings_values() == before
    # with the fields valid, the service's own check (the time zone) is shown inline too
    response = client.post(
        "/console/admin/settings/system/", system_form(site_name="X", timezone="Mars/Olympus"), **HTMX
    )
    assert response.status_code == 400
    assert errors_of(response.context["section"]) == {"timezone": ("Unknown time zone 'Mars/Olympus'.",)}
    assert settings_values() == before
    assert not AuditLog.objects.filter(resource_type="SystemSettings").exists()


def test_settings_posts_need_the_csrf_token(org_a, alice):
    client = logged_in(alice, csrf=True)
    assert client.post("/console/admin/settings/organization/", PROFILE).status_code == 403
    assert profile(org_a)["name"] == "Northwind Energy"
    assert Client().get("/console/admin/settings/").status_code == 302  # login required
