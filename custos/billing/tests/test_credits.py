"""GET /api/access/credits/ and the ledger services: exact balance, own ledger only, append-only."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from rest_framework.fields import DateTimeField

from custos.audit.models import AuditLog
from custos.billing.errors import InsufficientCredits
from custos.billing.models import AppendOnlyError, CreditEntry
from custos.billing.services import credits_apply, credits_spend
from custos.kernel.context import WriteContext
from custos.kernel.errors import ValidationFailed

pytestmark = pytest.mark.django_db
SYSTEM = WriteContext.system()

URL = "/api/access/credits/"


def _entry_json(entry: CreditEntry) -> dict:
    return {
        "id": str(entry.pk),
        "sequence": entry.sequence,
        "amount": entry.amount,
        "balance_after": entry.balance_after,
        "reason": entry.reason,
        "reference": entry.reference,
        "description": entry.description,
        "created_at": DateTimeField().to_representation(entry.created_at),
    }


@pytest.fixture
def alice_ledger(alice):
    return [
        credits_apply(SYSTEM, user_id=alice.pk, amount=100, reason="purchase", reference="cs_a"),
        credits_apply(SYSTEM, user_id=alice.pk, amount=500, reason="purchase", reference="cs_b"),
        credits_spend(
            WriteContext.for_user(alice), user_id=alice.pk, amount=30, reference="job_1", description="Image analysis"
        ),
    ]


def test_the_caller_sees_the_exact_balance_and_ledger_newest_first(alice, alice_ledger, client_for):
    response = client_for(alice).get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "balance": 570,
        "subscription": None,
        "count": 3,
        "next": None,
        "previous": None,
        "results": [_entry_json(entry) for entry in reversed(alice_ledger)],
    }
    assert [(e.sequence, e.amount, e.balance_after) for e in alice_ledger] == [
        (1, 100, 100),
        (2, 500, 600),
        (3, -30, 570),
    ]


def test_the_ledger_pages_in_the_access_envelope(alice, alice_ledger, client_for):
    response = client_for(alice).get(URL, {"page_size": 2, "page": 2})

    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["count"], body["next"]) == (570, 3, None)
    assert body["previous"] == "http://testserver/api/access/credits/?page_size=2"
    assert body["results"] == [_entry_json(alice_ledger[0])]


def test_another_users_credits_are_never_visible(alice, bob, alice_ledger, client_for):
    bob_entry = credits_apply(SYSTEM, user_id=bob.pk, amount=7, reason="adjustment")

    as_bob = client_for(bob).get(URL, {"user": str(alice.pk), "user_id": str(alice.pk)})
    as_alice = client_for(alice).get(URL.rstrip("/"))

    assert as_bob.json() == {
        "balance": 7,
        "subscription": None,
        "count": 1,
        "next": None,
        "previous": None,
        "results": [_entry_json(bob_entry)],
    }
    assert as_alice.json()["balance"] == 570
    assert str(bob_entry.pk) not in {entry["id"] for entry in as_alice.json()["results"]}


def test_bad_page_and_anonymous_callers_are_refused(alice, alice_ledger, client_for, api_client):
    bad_page = client_for(alice).get(URL, {"page": "last-but-one"})
    anonymous = api_client.get(URL)

    assert (bad_page.status_code, bad_page.json()) == (404, {"error": "Invalid page.", "details": {}})
    assert anonymous.status_code == 401
    assert set(anonymous.json()) == {"error", "details"}


def test_spending_more_than_the_balance_changes_nothing(alice, alice_ledger):
    audit_rows = AuditLog.objects.count()

    with pytest.raises(InsufficientCredits) as raised:
        credits_spend(WriteContext.for_user(alice), user_id=alice.pk, amount=571, reference="job_2")

    assert raised.value.extra == {"balance": 570, "required": 571}
    alice.refresh_from_db()
    assert (alice.credits, CreditEntry.objects.count(), AuditLog.objects.count()) == (570, 3, audit_rows)


@pytest.mark.parametrize(
    ("call", "details"),
    [
        ({"amount": 0, "reason": "adjustment"}, {"amount": ["Must not be zero."]}),
        ({"amount": 5, "reason": "gift"}, {"reason": ["Unknown reason 'gift'."]}),
    ],
)
def test_bad_ledger_input_is_refused(alice, call, details):
    with pytest.raises(ValidationFailed) as raised:
        credits_apply(SYSTEM, user_id=alice.pk, **call)
    assert raised.value.field_errors == details
    assert CreditEntry.objects.count() == 0


def test_the_ledger_is_append_only_and_matches_the_balance(alice, alice_ledger):
    entry = alice_ledger[0]
    entry.amount = 1_000_000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        CreditEntry.objects.filter(pk=entry.pk).update(amount=1_000_000)
    with pytest.raises(AppendOnlyError):
        CreditEntry.objects.all().delete()

    alice.refresh_from_db()
    total = CreditEntry.objects.filter(user=alice).aggregate(total=Sum("amount"))["total"]
    last = CreditEntry.objects.filter(user=alice).order_by("-sequence").first()
    assert total == alice.credits == last.balance_after == 570
    spend = AuditLog.objects.filter(resource_id=str(alice_ledger[2].pk)).get()
    assert (spend.actor_type, spend.actor_id, spend.changes["credits"]) == (
        "user",
        str(alice.pk),
        {"old": 600, "new": 570},
    )


def test_a_reference_is_granted_once(alice):
    credits_apply(SYSTEM, user_id=alice.pk, amount=100, reason="purchase", reference="cs_same")

    with pytest.raises(IntegrityError), transaction.atomic():
        credits_apply(SYSTEM, user_id=alice.pk, amount=100, reason="purchase", reference="cs_same")

    alice.refresh_from_db()
    assert (alice.credits, CreditEntry.objects.count()) == (100, 1)


def test_the_query_count_does_not_grow_with_the_ledger(alice, alice_ledger, client_for):
    client = client_for(alice)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    for number in range(10):
        credits_apply(SYSTEM, user_id=alice.pk, amount=1, reason="adjustment", reference=f"adj_{number}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL).json()["count"] == 13
    assert len(large.captured_queries) == len(small.captured_queries)
