"""POST /api/access/billing/checkout/: a Stripe Checkout session through the SDK, against the stand-in."""

from __future__ import annotations

import pytest

from custos.audit.models import AuditLog
from custos.billing.models import CheckoutSession
from custos.billing.tests.conftest import SECRET_KEY

pytestmark = pytest.mark.django_db

URL = "/api/access/billing/checkout/"
BODY = {
    "product": "credits_100",
    "success_url": "https://app.example.com/billing/done?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://app.example.com/billing",
}


def test_checkout_creates_the_customer_then_a_session_for_the_credits_pack(alice, client_for, stripe_standin):
    response = client_for(alice).post(URL, BODY, format="json")

    assert response.status_code == 201
    assert response.json() == {"id": "cs_test_2", "url": "https://checkout.stripe.com/c/pay/cs_test_2"}
    customer, session = stripe_standin.requests
    assert (customer.method, customer.path) == ("POST", "/v1/customers")
    assert customer.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert customer.headers["Idempotency-Key"].startswith("custos-customer-")
    assert customer.form == {
        "email": "alice@northwind.example",
        "name": "Alice",
        "metadata[custos_user_id]": str(alice.pk),
    }
    assert (session.method, session.path) == ("POST", "/v1/checkout/sessions")
    assert session.headers["Idempotency-Key"].startswith("custos-checkout-")
    metadata = {"custos_user_id": str(alice.pk), "product": "credits_100", "credits": "100"}
    assert session.form == {
        "mode": "payment",
        "customer": "cus_test_1",
        "client_reference_id": str(alice.pk),
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "1000",
        "line_items[0][price_data][product_data][name]": "100 credits",
        "line_items[0][quantity]": "1",
        "success_url": BODY["success_url"],
        "cancel_url": BODY["cancel_url"],
        **{f"metadata[{key}]": value for key, value in metadata.items()},
        **{f"payment_intent_data[metadata][{key}]": value for key, value in metadata.items()},
    }

    alice.refresh_from_db()
    assert (alice.stripe_customer_id, alice.credits) == ("cus_test_1", 0)
    stored = CheckoutSession.objects.get()
    assert (stored.user, stored.stripe_session_id, stored.stripe_customer_id) == (alice, "cs_test_2", "cus_test_1")
    assert (stored.product, stored.mode, stored.credits, stored.unit_amount, stored.currency, stored.status) == (
        "credits_100",
        "payment",
        100,
        1000,
        "usd",
        "open",
    )
    assert list(
        AuditLog.objects.order_by("sequence").values_list("actor_id", "action", "resource_type", "changes")
    ) == [
        (str(alice.pk), "UPDATE", "User", {"stripe_customer_id": {"old": "", "new": "cus_test_1"}}),
        (str(alice.pk), "CREATE", "CheckoutSession", {"product": "credits_100", "mode": "payment", "credits": 100}),
    ]
    assert alice.credit_entries.count() == 0  # paying is what grants credits, not opening a session


def test_checkout_reuses_the_customer_and_a_configured_price_for_a_subscription(
    alice, client_for, stripe_standin, settings
):
    alice.stripe_customer_id = "cus_existing"
    alice.save(update_fields=["stripe_customer_id"])
    settings.BILLING_PRODUCTS = {
        **settings.BILLING_PRODUCTS,
        "pro_monthly": {**settings.BILLING_PRODUCTS["pro_monthly"], "price": "price_pro_monthly_1"},
    }

    response = client_for(alice).post(URL, {**BODY, "product": "pro_monthly"}, format="json")

    assert response.status_code == 201
    assert response.json() == {"id": "cs_test_1", "url": "https://checkout.stripe.com/c/pay/cs_test_1"}
    (session,) = stripe_standin.requests  # no customer created
    metadata = {"custos_user_id": str(alice.pk), "product": "pro_monthly", "credits": "1000"}
    assert session.form == {
        "mode": "subscription",
        "customer": "cus_existing",
        "client_reference_id": str(alice.pk),
        "line_items[0][price]": "price_pro_monthly_1",
        "line_items[0][quantity]": "1",
        "success_url": BODY["success_url"],
        "cancel_url": BODY["cancel_url"],
        **{f"metadata[{key}]": value for key, value in metadata.items()},
        **{f"subscription_data[metadata][{key}]": value for key, value in metadata.items()},
    }
    assert CheckoutSession.objects.get().mode == "subscription"
    assert list(AuditLog.objects.values_list("resource_type", flat=True)) == ["CheckoutSession"]


def test_subscription_without_a_price_id_sends_a_recurring_price(alice, client_for, stripe_standin):
    response = client_for(alice).post(URL.rstrip("/"), {**BODY, "product": "pro_monthly"}, format="json")

    assert response.status_code == 201
    form = stripe_standin.requests[1].form
    assert {key: value for key, value in form.items() if key.startswith("line_items")} == {
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "2900",
        "line_items[0][price_data][product_data][name]": "Custos Pro (monthly)",
        "line_items[0][price_data][recurring][interval]": "month",
        "line_items[0][quantity]": "1",
    }


def test_each_user_gets_their_own_customer(alice, bob, client_for, stripe_standin):
    assert client_for(alice).post(URL, BODY, format="json").status_code == 201
    assert client_for(bob).post(URL, BODY, format="json").status_code == 201
    assert client_for(alice).post(URL, BODY, format="json").status_code == 201

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.stripe_customer_id, bob.stripe_customer_id) == ("cus_test_1", "cus_test_3")
    assert [r.path for r in stripe_standin.requests] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/checkout/sessions",
    ]
    assert [r.form["customer"] for r in stripe_standin.requests if r.path == "/v1/checkout/sessions"] == [
        "cus_test_1",
        "cus_test_3",
        "cus_test_1",
    ]
    assert sorted(CheckoutSession.objects.values_list("user__email", flat=True)) == [
        "alice@northwind.example",
        "alice@northwind.example",
        "bob@helios.example",
    ]


@pytest.mark.parametrize(
    ("body", "details"),
    [
        (
            {**BODY, "product": "credits_1000000"},
            {"product": ["Unknown product 'credits_1000000'. Choose one of: credits_100, credits_500, pro_monthly."]},
        ),
        ({**BODY, "success_url": "javascript:alert(1)"}, {"success_url": ["Enter a valid http(s) URL."]}),
        ({**BODY, "cancel_url": "ftp://files.example.com/"}, {"cancel_url": ["Enter a valid http(s) URL."]}),
        ({**BODY, "success_url": "/relative/path"}, {"success_url": ["Enter a valid http(s) URL."]}),
        (
            {"product": "credits_100"},
            {"success_url": ["This field is required."], "cancel_url": ["This field is required."]},
        ),
    ],
)
def test_bad_input_is_rejected_and_nothing_is_sent(alice, client_for, stripe_standin, body, details):
    response = client_for(alice).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"error": "Validation error", "details": details}
    assert stripe_standin.requests == []
    assert CheckoutSession.objects.count() == 0
    assert AuditLog.objects.count() == 0
    alice.refresh_from_db()
    assert alice.stripe_customer_id == ""


def test_without_a_secret_key_checkout_answers_503_and_changes_nothing(alice, client_for, settings):
    settings.STRIPE_SECRET_KEY = ""

    response = client_for(alice).post(URL, BODY, format="json")

    assert response.status_code == 503
    assert response.json() == {"error": "Payments are not configured on this server.", "details": {}}
    alice.refresh_from_db()
    assert alice.stripe_customer_id == ""
    assert (CheckoutSession.objects.count(), AuditLog.objects.count()) == (0, 0)


def test_a_refusal_by_stripe_is_a_502_and_no_session_is_stored(alice, client_for, stripe_standin):
    stripe_standin.failures["/v1/checkout/sessions"] = (
        400,
        {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": "No such price: 'price_gone'",
                "param": "line_items[0][price]",
            }
        },
    )

    response = client_for(alice).post(URL, BODY, format="json")

    assert response.status_code == 502
    assert response.json() == {
        "error": "The payment provider refused the request: No such price: 'price_gone'",
        "details": {},
    }
    assert CheckoutSession.objects.count() == 0
    alice.refresh_from_db()
    assert alice.stripe_customer_id == "cus_test_1"  # the customer exists at Stripe: kept for the next attempt


def test_checkout_requires_authentication(api_client, stripe_standin):
    response = api_client.post(URL, BODY, format="json")

    assert response.status_code == 401
    assert set(response.json()) == {"error", "details"}
    assert stripe_standin.requests == []
    assert CheckoutSession.objects.count() == 0
