"""``/api/settings/`` (pipeline) and ``/api/admin/settings/`` (sqal): staff only, validated, audited, effective."""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.ops.models import SystemSettings
from custos.ops.services import FileTooLarge, check_upload_size, upload_limit_bytes

pytestmark = pytest.mark.django_db


def test_list_and_current(client_for, staff):
    client = client_for(staff)
    body = client.get("/api/settings/").json()
    record = SystemSettings.load()
    assert (body["count"], body["results"][0]["id"]) == (1, str(record.pk))
    current = client.get("/api/settings/current/").json()
    assert (current["failed_login_lockout"], current["api_rate_limit"], current["max_file_size_mb"]) == (5, 1000, 500)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_by_id_is_audited_once(client_for, staff, method):
    record = SystemSettings.load()
    response = getattr(client_for(staff), method)(
        f"/api/settings/{record.pk}/", {"failed_login_lockout": 3, "site_name": "Ops"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["failed_login_lockout"], response.json()["updated_by"]) == (3, str(staff.pk))
    assert SystemSettings.load().failed_login_lockout == 3
    row = AuditLog.objects.get()
    assert (row.action, row.resource_type, row.actor_id) == ("UPDATE", "SystemSettings", str(staff.pk))
    assert row.changes == {"failed_login_lockout": {"old": 5, "new": 3}, "site_name": {"old": "Custos", "new": "Ops"}}


@pytest.mark.parametrize(
    "path", ["/api/settings/update-settings/", "/api/settings/update_settings/", "/api/settings/update-settings"]
)
def test_update_without_id(client_for, staff, path):
    response = client_for(staff).put(path, {"max_file_size_mb": 20}, format="json")
    assert response.status_code == 200
    assert upload_limit_bytes() == 20 * 1024 * 1024
    with pytest.raises(FileTooLarge):
        check_upload_size(20 * 1024 * 1024 + 1)
    check_upload_size(20 * 1024 * 1024)


def test_bad_values_are_refused_and_change_nothing(client_for, staff):
    client = client_for(staff)
    response = client.patch("/api/settings/update-settings/", {"analysis_confidence_threshold": 1.5}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"analysis_confidence_threshold"}
    response = client.patch("/api/settings/update-settings/", {"timezone": "Mars/Olympus"}, format="json")
    assert (response.status_code, response.json()) == (400, {"timezone": ["Unknown time zone 'Mars/Olympus'."]})
    assert SystemSettings.load().analysis_confidence_threshold == 0.8
    assert AuditLog.objects.count() == 0


def test_unknown_id_is_404(client_for, staff):
    SystemSettings.load()
    response = client_for(staff).patch("/api/settings/00000000-0000-4000-8000-000000000001/", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["alice", "amir"])
def test_non_staff_are_refused(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/api/settings/").status_code == 403
    assert client.put("/api/settings/update-settings/", {"api_rate_limit": 1}, format="json").status_code == 403
    assert client.patch("/api/admin/settings/", {"apiRateLimit": 1}, format="json").status_code == 403
    assert SystemSettings.load().api_rate_limit == 1000
    assert AuditLog.objects.count() == 0


def test_sqal_presenter(client_for, staff):
    client = client_for(staff)
    body = client.get("/api/admin/settings/").json()
    assert (body["message"], body["data"]["failedLoginLockout"]) == ("Success", 5)
    patched = client.patch("/api/admin/settings", {"sessionTimeoutMinutes": 30}, format="json")
    assert patched.status_code == 200
    assert patched.json()["data"]["sessionTimeoutMinutes"] == 30
    assert AuditLog.objects.get().changes == {"session_timeout_minutes": {"old": 60, "new": 30}}
    bad = client.patch("/api/admin/settings/", {"passwordMinLength": 2}, format="json")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "password_min_length"]


def test_the_rate_limit_takes_effect(client_for, staff):
    client = client_for(staff)
    client.patch("/api/admin/settings/", {"apiRateLimit": 3}, format="json")  # request 1 of this hour
    first = client.get("/api/settings/current/")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("3", "1")
    assert client.get("/api/settings/current/").status_code == 200
    refused = client.get("/api/settings/current/")
    assert refused.status_code == 429
    assert refused["X-RateLimit-Remaining"] == "0"
    assert int(refused["Retry-After"]) >= 1
