"""A broken audit chain makes ``/api/health/detailed/`` fail (cheap incremental check + full walk)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from custos.audit.services import audit_record, audit_verify_recent
from custos.audit.tasks import verify_chain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="auditor@example.com", password="x")


def _rows(user, count: int = 3):
    return [audit_record(actor=user, action="UPDATE", resource_type="Thing", resource_id=str(i)) for i in range(count)]


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only")


def test_an_intact_chain_is_healthy(api_client, user):
    _rows(user)
    response = api_client.get("/api/health/detailed/")
    assert response.status_code == 200
    assert response.json()["checks"]["audit"] == "ok"


def test_tampering_with_a_new_row_makes_health_503(api_client, user):
    _rows(user)
    _tamper("UPDATE audit_auditlog SET actor_label = %s WHERE sequence = %s", ["someone else", 2])
    response = api_client.get("/api/health/detailed/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert (
        body["checks"]["audit"] == "error: RuntimeError: audit chain broken at row 2: content does not match its hash"
    )


def test_rows_are_verified_once_from_the_checkpoint(user):
    _rows(user, 3)
    assert audit_verify_recent().checked == 3
    _rows(user, 2)
    report = audit_verify_recent()
    assert (report.ok, report.checked) == (True, 2)
    assert audit_verify_recent().checked == 0


def test_tampering_behind_the_checkpoint_is_reported_after_the_full_walk(api_client, user, run_jobs_inline):
    _rows(user, 4)
    assert api_client.get("/api/health/detailed/").status_code == 200  # checkpoint now at row 4
    _tamper("UPDATE audit_auditlog SET action = %s WHERE sequence = %s", ["READ", 1])
    assert verify_chain.delay().get() == {
        "ok": False,
        "checked": 0,
        "broken_at": 1,
        "reason": "content does not match its hash",
    }
    response = api_client.get("/api/health/detailed/")
    assert response.status_code == 503
    assert "broken at row 1" in response.json()["checks"]["audit"]


def test_tampering_with_the_checkpoint_row_is_detected(api_client, user):
    _rows(user, 3)
    assert api_client.get("/api/health/detailed/").status_code == 200
    _tamper("UPDATE audit_auditlog SET resource_id = %s WHERE sequence = %s", ["x", 3])
    assert api_client.get("/api/health/detailed/").status_code == 503


def test_the_verify_command_feeds_the_health_check(api_client, user):
    _rows(user, 2)
    assert api_client.get("/api/health/detailed/").status_code == 200
    _tamper("DELETE FROM audit_auditlog WHERE sequence = %s", [1])
    with pytest.raises(CommandError, match="row 1 is missing"):
        call_command("audit", "verify")
    assert api_client.get("/health/").status_code == 503
