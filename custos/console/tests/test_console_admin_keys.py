"""The console's admin additions through the test client: audit export (CSV) and API keys."""

from __future__ import annotations

import csv
import io

import pytest

from custos.audit.models import AuditLog
from custos.console.tests.test_console import logged_in
from custos.identity.models import ApiKey
from custos.identity.tokens import hash_api_key

pytestmark = pytest.mark.django_db


def test_audit_export_is_the_searched_visible_rows_as_csv_and_is_recorded(alice, bob):
    client = logged_in(alice)
    logged_in(bob)  # bob's LOGIN row belongs to another organization / actor
    response = client.get("/console/admin/audit/export.csv", {"q": "LOGIN"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert response["X-Export-Truncated"] == "false"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = AuditLog.objects.filter(action="LOGIN", actor_id=str(alice.pk)).values_list("id", flat=True)
    assert {row["id"] for row in rows} == {str(pk) for pk in expected}
    assert all(row["actor_label"] != bob.email for row in rows)
    recorded = AuditLog.objects.get(action="EXPORT", resource_type="AuditLog")
    assert recorded.changes == {"format": "csv", "filters": {"q": "LOGIN", "source": "console"}, "truncated": False}
    assert client.get("/console/admin/audit/").content.count(b"audit/export.csv?q=") == 1


def test_api_key_is_shown_once_stored_hashed_and_listed_masked(amir):
    client = logged_in(amir)
    response = client.post(
        "/console/admin/api-keys/",
        {"name": "Line 3 gateway", "scopes": ["read"], "expires_days": "30", "allowed_ips": "10.0.0.0/8"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(user=amir)
    raw = response.context["issued"].raw
    assert raw.startswith("ck_") and raw.encode() in response.content
    assert key.key_hash == hash_api_key(raw) and (key.scopes, key.allowed_ips) == (["read"], ["10.0.0.0/8"])
    assert 29 <= (key.expires_at - key.created_at).days <= 30
    assert AuditLog.objects.filter(action="CREATE", resource_type="ApiKey", resource_id=str(key.pk)).count() == 1
    listing = client.get("/console/admin/api-keys/").content.decode()
    assert raw not in listing and key.key_masked in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "scopes": ["read"]}, "Name the key"),
        ({"name": "x" * 101, "scopes": ["read"]}, "Name the key"),
        ({"name": "k", "scopes": ["root"]}, "Choose among: read, write."),
        ({"name": "k"}, "Choose among: read, write."),
        ({"name": "k", "scopes": ["read"], "expires_days": "0"}, "Expiry"),
        ({"name": "k", "scopes": ["read"], "expires_days": "-3"}, "Expiry"),
        ({"name": "k", "scopes": ["read"], "allowed_ips": "not-an-ip"}, "Not an IP address or network: not-an-ip."),
    ],
)
def test_bad_api_key_requests_are_a_400_and_create_nothing(amir, data, message):
    response = logged_in(amir).post("/console/admin/api-keys/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApiKey.objects.exists()


def test_api_keys_are_the_callers_own_and_revoking_anothers_is_a_404(alice, amir):
    client = logged_in(amir)
    client.post("/console/admin/api-keys/", {"name": "mine", "scopes": ["read"]})
    other = logged_in(alice)
    other.post("/console/admin/api-keys/", {"name": "alice's", "scopes": ["write"]})
    alices = ApiKey.objects.get(user=alice)
    page = client.get("/console/admin/api-keys/").content.decode()
    assert "mine" in page and "alice&#x27;s" not in page
    assert client.post(f"/console/admin/api-keys/{alices.pk}/revoke/").status_code == 404
    assert client.post("/console/admin/api-keys/nope/revoke/").status_code == 404
    alices.refresh_from_db()
    assert alices.is_active
    mine = ApiKey.objects.get(user=amir)
    assert client.post(f"/console/admin/api-keys/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    assert (mine.is_active, mine.revoked_at is not None) == (False, True)
    assert AuditLog.objects.filter(action="REVOKE", resource_id=str(mine.pk)).count() == 1


def test_api_key_creation_needs_login_and_csrf(amir):
    from django.test import Client

    assert Client().post("/console/admin/api-keys/", {"name": "k", "scopes": ["read"]}).status_code == 302
    client = logged_in(amir, csrf=True)
    assert client.post("/console/admin/api-keys/", {"name": "k", "scopes": ["read"]}).status_code == 403
    assert not ApiKey.objects.exists()
