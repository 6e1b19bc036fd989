"""Two deliveries of one event racing each other: exactly one applies it (the unique event id decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from custos.billing.models import CheckoutSession, CreditEntry, StripeEvent
from custos.billing.services import stripe_webhook_receive
from custos.billing.tests.conftest import event_body, signature_header
from custos.kernel.context import WriteContext

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_deliveries_of_one_event_grant_once(alice, stripe_standin):
    if connection.vendor == "sqlite":
        # The in-memory shared-cache test database answers "table is locked" instead of waiting; the real
        # embedded database is a file whose IMMEDIATE transactions serialise writers, so no race exists there.
        pytest.skip("concurrent writers need the scaled (PostgreSQL) database")
    session = CheckoutSession.objects.create(
        user=alice,
        stripe_session_id="cs_test_race",
        stripe_customer_id="cus_race",
        product="credits_100",
        mode="payment",
        credits=100,
        unit_amount=1000,
        currency="usd",
    )
    body = event_body(
        "evt_race",
        "checkout.session.completed",
        {
            "id": session.stripe_session_id,
            "object": "checkout.session",
            "client_reference_id": str(alice.pk),
            "payment_status": "paid",
        },
    )
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def deliver():
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                stripe_webhook_receive(WriteContext.system(), payload=body, signature=signature_header(body))
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(outcome.duplicate for outcome in outcomes) == [False, True]
    alice.refresh_from_db()
    assert (alice.credits, CreditEntry.objects.count(), StripeEvent.objects.count()) == (100, 1, 1)
