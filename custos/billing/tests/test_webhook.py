"""POST /api/access/billing/webhook/: signature verified, each event applied exactly once."""

from __future__ import annotations

import time

import pytest

from custos.audit.models import AuditLog
from custos.billing.models import CheckoutSession, CreditEntry, StripeEvent, Subscription
from custos.billing.tests.conftest import event_body, signature_header

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/access/billing/checkout/"
URLS = {"success_url": "https://app.example.com/done", "cancel_url": "https://app.example.com/cancel"}


def _open_session(client, product: str = "credits_100") -> CheckoutSession:
    response = client.post(CHECKOUT, {"product": product, **URLS}, format="json")
    assert response.status_code == 201
    return CheckoutSession.objects.get(stripe_session_id=response.json()["id"])


def _session_object(session: CheckoutSession, *, payment_status: str = "paid", **extra) -> dict:
    return {
        "id": session.stripe_session_id,
        "object": "checkout.session",
        "mode": session.mode,
        "customer": session.stripe_customer_id,
        "client_reference_id": str(session.user_id),
        "status": "complete",
        "payment_status": payment_status,
        "amount_total": session.unit_amount,
        "currency": session.currency,
        "metadata": {"custos_user_id": str(session.user_id), "product": session.product},
        **extra,
    }


def _receipt(event_id: str, event_type: str, *, duplicate: bool = False, result: str = "applied") -> dict:
    return {"received": True, "event_id": event_id, "type": event_type, "duplicate": duplicate, "result": result}


def _state(user) -> tuple:
    user.refresh_from_db()
    return (
        user.credits,
        CreditEntry.objects.count(),
        StripeEvent.objects.count(),
        AuditLog.objects.count(),
        list(CheckoutSession.objects.values_list("status", flat=True)),
    )


def test_a_paid_checkout_grants_the_credits_once_even_when_replayed(alice, client_for, stripe_standin, deliver):
    session = _open_session(client_for(alice))
    body = event_body("evt_paid_1", "checkout.session.completed", _session_object(session))
    audit_before = AuditLog.objects.count()

    first = deliver(body)

    assert first.status_code == 200
    assert first.json() == _receipt("evt_paid_1", "checkout.session.completed")
    alice.refresh_from_db()
    assert alice.credits == 100
    entry = CreditEntry.objects.get()
    assert (entry.user, entry.sequence, entry.amount, entry.balance_after, entry.reason, entry.reference) == (
        alice,
        1,
        100,
        100,
        "purchase",
        session.stripe_session_id,
    )
    assert entry.stripe_event_id == "evt_paid_1"
    session.refresh_from_db()
    assert (session.status, session.payment_status) == ("completed", "paid")
    event = StripeEvent.objects.get()
    assert (event.event_id, event.type, event.result, event.detail, event.user) == (
        "evt_paid_1",
        "checkout.session.completed",
        "applied",
        "granted 100 credits",
        alice,
    )
    grant, receipt = AuditLog.objects.filter(sequence__gt=audit_before).order_by("sequence")
    assert (grant.actor_type, grant.action, grant.resource_type, grant.resource_id) == (
        "system",
        "CREATE",
        "CreditEntry",
        str(entry.pk),
    )
    assert grant.changes == {
        "credits": {"old": 0, "new": 100},
        "amount": 100,
        "reason": "purchase",
        "reference": session.stripe_session_id,
        "stripe_event_id": "evt_paid_1",
    }
    assert (receipt.actor_type, receipt.resource_type, receipt.resource_name, receipt.changes) == (
        "system",
        "StripeEvent",
        "evt_paid_1",
        {"type": "checkout.session.completed", "result": "applied", "detail": "granted 100 credits"},
    )
    after_first = _state(alice)

    # Stripe retries deliveries: the same event, signed again later, and once more without the slash.
    replay = deliver(body, timestamp=int(time.time()) + 1)
    replay_no_slash = deliver(body, path="/api/access/billing/webhook")

    assert replay.status_code == replay_no_slash.status_code == 200
    assert (
        replay.json() == replay_no_slash.json() == _receipt("evt_paid_1", "checkout.session.completed", duplicate=True)
    )
    assert _state(alice) == after_first == (100, 1, 1, audit_before + 2, ["completed"])


def test_a_second_event_about_the_same_session_grants_nothing_more(alice, client_for, stripe_standin, deliver):
    session = _open_session(client_for(alice))
    assert deliver(event_body("evt_a", "checkout.session.completed", _session_object(session))).status_code == 200

    response = deliver(event_body("evt_b", "checkout.session.async_payment_succeeded", _session_object(session)))

    assert response.json() == _receipt("evt_b", "checkout.session.async_payment_succeeded")
    assert StripeEvent.objects.get(event_id="evt_b").detail == "credits already granted for this session"
    alice.refresh_from_db()
    assert (alice.credits, CreditEntry.objects.count()) == (100, 1)


def test_a_delayed_payment_grants_when_it_succeeds(alice, client_for, stripe_standin, deliver):
    session = _open_session(client_for(alice), product="credits_500")

    pending = deliver(
        event_body("evt_c1", "checkout.session.completed", _session_object(session, payment_status="unpaid"))
    )
    alice.refresh_from_db()
    assert (pending.status_code, alice.credits, StripeEvent.objects.get().detail) == (200, 0, "awaiting payment")

    paid = deliver(event_body("evt_c2", "checkout.session.async_payment_succeeded", _session_object(session)))

    assert paid.json() == _receipt("evt_c2", "checkout.session.async_payment_succeeded")
    alice.refresh_from_db()
    assert alice.credits == 500
    assert list(alice.credit_entries.values_list("amount", "reference")) == [(500, session.stripe_session_id)]


def test_a_failed_or_expired_session_grants_nothing(alice, client_for, stripe_standin, deliver):
    failed = _open_session(client_for(alice))
    expired = _open_session(client_for(alice))

    deliver(
        event_body("evt_f", "checkout.session.async_payment_failed", _session_object(failed, payment_status="unpaid"))
    )
    deliver(event_body("evt_e", "checkout.session.expired", _session_object(expired, payment_status="unpaid")))

    failed.refresh_from_db()
    expired.refresh_from_db()
    alice.refresh_from_db()
    assert (failed.status, expired.status, alice.credits, CreditEntry.objects.count()) == ("failed", "expired", 0, 0)


def test_each_grant_goes_to_the_buyer_only(alice, bob, client_for, stripe_standin, deliver):
    alice_session = _open_session(client_for(alice))
    bob_session = _open_session(client_for(bob), product="credits_500")

    deliver(event_body("evt_bob", "checkout.session.completed", _session_object(bob_session)))

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.credits, bob.credits) == (0, 500)
    assert list(CreditEntry.objects.values_list("user__email", "reference")) == [
        ("bob@helios.example", bob_session.stripe_session_id)
    ]
    # An event naming bob's account for alice's session is refused: the session decides who is credited.
    forged = _session_object(alice_session, client_reference_id=str(bob.pk))
    response = deliver(event_body("evt_forged", "checkout.session.completed", forged))
    assert response.json() == _receipt("evt_forged", "checkout.session.completed", result="ignored")
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.credits, bob.credits, CreditEntry.objects.count()) == (0, 500, 1)


def test_an_unknown_session_or_event_type_is_recorded_and_ignored(alice, stripe_standin, deliver):
    stranger = {
        "id": "cs_test_not_ours",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": "paid",
        "client_reference_id": str(alice.pk),
    }

    unknown_session = deliver(event_body("evt_u1", "checkout.session.completed", stranger))
    unknown_type = deliver(event_body("evt_u2", "charge.refunded", {"id": "ch_1", "object": "charge"}))

    assert unknown_session.json() == _receipt("evt_u1", "checkout.session.completed", result="ignored")
    assert unknown_type.json() == _receipt("evt_u2", "charge.refunded", result="ignored")
    assert list(StripeEvent.objects.order_by("event_id").values_list("event_id", "detail")) == [
        ("evt_u1", "unknown checkout session"),
        ("evt_u2", "event type not handled"),
    ]
    alice.refresh_from_db()
    assert (alice.credits, CreditEntry.objects.count()) == (0, 0)


def _subscription_object(customer: str, *, status: str = "active", period_end: int = 1_792_600_000, **extra) -> dict:
    return {
        "id": "sub_test_1",
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "ended_at": None,
        "metadata": {"product": "pro_monthly"},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "object": "subscription_item",
                    "current_period_end": period_end,
                    "price": {"id": "price_dynamic_1", "object": "price", "recurring": {"interval": "month"}},
                }
            ],
        },
        **extra,
    }


def _invoice_object(customer: str, invoice_id: str, billing_reason: str) -> dict:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "status": "paid",
        "billing_reason": billing_reason,
        "amount_paid": 2900,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_test_1", "metadata": {"product": "pro_monthly"}},
        },
    }


def test_a_subscription_is_recorded_and_each_paid_period_grants_its_credits(alice, client_for, stripe_standin, deliver):
    client = client_for(alice)
    session = _open_session(client, product="pro_monthly")
    customer = session.stripe_customer_id

    deliver(
        event_body("evt_s1", "customer.subscription.created", _subscription_object(customer), created=1_790_000_600)
    )
    deliver(event_body("evt_s2", "checkout.session.completed", _session_object(session, subscription="sub_test_1")))
    first_invoice = event_body("evt_s3", "invoice.paid", _invoice_object(customer, "in_1", "subscription_create"))
    deliver(first_invoice)
    deliver(first_invoice)  # replay
    deliver(event_body("evt_s4", "invoice.paid", _invoice_object(customer, "in_2", "subscription_update")))
    deliver(event_body("evt_s5", "invoice.paid", _invoice_object(customer, "in_3", "subscription_cycle")))

    alice.refresh_from_db()
    assert alice.credits == 2000
    assert list(alice.credit_entries.order_by("sequence").values_list("amount", "reason", "reference")) == [
        (1000, "subscription", "in_1"),
        (1000, "subscription", "in_3"),
    ]
    subscription = Subscription.objects.get()
    assert (subscription.user, subscription.product, subscription.status, subscription.stripe_price_id) == (
        alice,
        "pro_monthly",
        "active",
        "price_dynamic_1",
    )
    assert int(subscription.current_period_end.timestamp()) == 1_792_600_000

    # A late, older update changes nothing; the cancellation is recorded.
    stale = deliver(
        event_body(
            "evt_s6",
            "customer.subscription.updated",
            _subscription_object(customer, status="past_due"),
            created=1_790_000_100,
        )
    )
    cancelled = deliver(
        event_body(
            "evt_s7",
            "customer.subscription.deleted",
            _subscription_object(customer, status="canceled", ended_at=1_790_900_000),
            created=1_790_900_000,
        )
    )
    assert stale.json() == _receipt("evt_s6", "customer.subscription.updated", result="ignored")
    assert cancelled.json() == _receipt("evt_s7", "customer.subscription.deleted")
    subscription.refresh_from_db()
    assert (subscription.status, int(subscription.ended_at.timestamp())) == ("canceled", 1_790_900_000)

    body = client.get("/api/access/credits/").json()
    assert (body["balance"], body["subscription"]["product"], body["subscription"]["status"]) == (
        2000,
        "pro_monthly",
        "canceled",
    )


def test_subscription_events_for_an_unknown_customer_are_ignored(alice, stripe_standin, deliver):
    response = deliver(event_body("evt_x", "customer.subscription.created", _subscription_object("cus_somebody_else")))

    assert response.json() == _receipt("evt_x", "customer.subscription.created", result="ignored")
    assert Subscription.objects.count() == 0


# --- Rejected deliveries: 400, nothing changed --------------------------------------------------


@pytest.fixture
def paid_body(alice, client_for, stripe_standin):
    session = _open_session(client_for(alice))
    return event_body("evt_sig", "checkout.session.completed", _session_object(session))


@pytest.mark.parametrize(
    ("signing", "message"),
    [
        ({"secret": "whsec_not_the_right_one"}, "Invalid Stripe signature: signature mismatch."),
        ({"timestamp_offset": -301}, "Invalid Stripe signature: timestamp outside the tolerance zone."),
        ({"timestamp_offset": -3600}, "Invalid Stripe signature: timestamp outside the tolerance zone."),
        ({"header": None}, "Invalid Stripe signature: missing Stripe-Signature header."),
        ({"header": "v1=deadbeef"}, "Invalid Stripe signature: malformed Stripe-Signature header."),
        ({"header": "t=1790000000,v0=deadbeef"}, "Invalid Stripe signature: malformed Stripe-Signature header."),
        ({"tamper": True}, "Invalid Stripe signature: signature mismatch."),
    ],
)
def test_bad_or_old_signatures_are_rejected_and_change_nothing(alice, paid_body, deliver, signing, message):
    before = _state(alice)
    body = paid_body
    if signing.pop("tamper", False):  # signed, then the amount of credits "edited" in transit
        header = signature_header(body)
        body = body.replace(b'"paid"', b'"paid" ')
        signing = {"header": header}
    if "timestamp_offset" in signing:
        signing = {"timestamp": int(time.time()) + signing.pop("timestamp_offset")}

    response = deliver(body, **signing)

    assert response.status_code == 400
    assert response.json() == {"error": message, "details": {}}
    assert _state(alice) == before == (0, 0, 0, before[3], ["open"])


def test_a_signed_body_that_is_not_an_event_is_rejected(alice, stripe_standin, deliver):
    not_json = deliver(b"this is not json")
    not_event = deliver(b'{"id": "evt_1", "object": "charge"}')

    assert (not_json.status_code, not_json.json()) == (400, {"error": "The body is not JSON.", "details": {}})
    assert (not_event.status_code, not_event.json()) == (
        400,
        {"error": "The body is not a Stripe event.", "details": {}},
    )
    assert StripeEvent.objects.count() == 0


def test_without_a_signing_secret_the_webhook_answers_503(alice, settings, deliver):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(event_body("evt_1", "checkout.session.completed", {"id": "cs_1"}), secret="whsec_x")

    assert response.status_code == 503
    assert response.json() == {"error": "Stripe webhooks are not configured on this server.", "details": {}}
    assert StripeEvent.objects.count() == 0
