"""The audit log is append-only and hash-chained: tampering is refused or detected."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from rest_framework.test import APIRequestFactory

from custos.audit.models import AppendOnlyError, AuditLog
from custos.audit.services import GENESIS, audit_record, audit_verify
from custos.kernel.context import WriteContext, client_ip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="auditor@example.com", password="x")


def _three_rows(user):
    ctx = WriteContext(user=user, client_ip="203.0.113.7", user_agent="pytest-agent", request_id="req-123456789")
    first = audit_record(ctx, action="CREATE", resource_type="Thing", resource_id="1")
    second = audit_record(actor=None, action="UPDATE", resource_type="Thing", changes={"n": [1, 2]})
    third = audit_record(actor=user, action="DELETE", resource_type="Thing", success=False, error_message="no")
    return first, second, third


def test_rows_chain_and_carry_who_what_where(user):
    first, second, third = _three_rows(user)
    assert (first.sequence, second.sequence, third.sequence) == (1, 2, 3)
    assert first.previous_hash == GENESIS
    assert (second.previous_hash, third.previous_hash) == (first.hash, second.hash)
    assert (first.actor_type, first.actor_id, first.actor_label) == ("user", str(user.pk), "auditor@example.com")
    assert (first.ip_address, first.user_agent, first.request_id) == ("203.0.113.7", "pytest-agent", "req-123456789")
    assert (second.actor_type, second.changes) == ("system", {"n": [1, 2]})
    assert audit_verify().ok and audit_verify().checked == 3


def test_orm_cannot_change_or_remove_rows(user):
    first, *_ = _three_rows(user)
    first.action = "READ"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        first.delete()
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.filter(sequence=1).update(action="READ")
    with pytest.raises(AppendOnlyError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(sequence=1).action == "CREATE"


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_auditlog_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_auditlog_append_only")


def test_editing_a_row_behind_the_orm_is_detected(user):
    _three_rows(user)
    _tamper("UPDATE audit_auditlog SET action = %s WHERE sequence = %s", ["READ", 2])
    report = audit_verify()
    assert (report.ok, report.broken_at, report.reason) == (False, 2, "content does not match its hash")
    with pytest.raises(CommandError, match="audit chain broken at row 2"):
        call_command("audit", "verify")


def test_removing_a_row_is_detected(user):
    _three_rows(user)
    _tamper("DELETE FROM audit_auditlog WHERE sequence = %s", [2])
    report = audit_verify()
    assert (report.ok, report.broken_at, report.reason) == (False, 3, "row 2 is missing")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_updates_itself(user):
    from django.db import DatabaseError

    _three_rows(user)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditlog SET action = 'READ' WHERE sequence = 1")


def test_a_rolled_back_write_leaves_no_row(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=user, action="CREATE", resource_type="Thing")
        raise RuntimeError("the write failed")
    assert AuditLog.objects.count() == 0


def test_forwarded_address_is_trusted_only_behind_our_proxies(settings):
    request = APIRequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "192.0.2.9"
    bad = APIRequestFactory().get("/", REMOTE_ADDR="not-an-ip")
    assert client_ip(bad) is None


def test_command_reports_an_intact_chain(user, capsys):
    _three_rows(user)
    call_command("audit", "verify")
    assert capsys.readouterr().out.strip() == "audit chain intact: 3 rows"


@pytest.mark.django_db
def test_numbers_the_database_rewrites_still_verify():
    """PostgreSQL's jsonb gives an integral float back as an integer (5.381138724663721e16 ->
    53811387246637210): the stored form is chosen so the chain still verifies after storage."""
    row = audit_record(
        None,
        action="UPDATE",
        resource_type="Pipeline",
        changes={"length_km": {"old": 5.381138724663721e16, "new": 1e300}, "ratio": 0.5, "big": 2**70, "n": 3},
    )
    stored = AuditLog.objects.get(pk=row.pk)
    assert stored.changes == {
        "length_km": {"old": 53811387246637210, "new": str(10**300)},
        "ratio": 0.5,
        "big": str(2**70),
        "n": 3,
    }
    assert audit_verify().ok
