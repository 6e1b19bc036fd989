"""The adapter to Stripe: the official SDK (``stripe.StripeClient``), configured from settings.

Everything that talks to Stripe goes through ``StripeGateway``, so services never touch the SDK and
tests point ``STRIPE_API_BASE`` at a local stand-in server. Webhook signatures are verified with the
SDK's ``WebhookSignature`` (HMAC-SHA256 over ``"{timestamp}.{payload}"``, timestamp tolerance).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

from custos.billing.errors import BillingNotConfigured, InvalidSignature, PaymentProviderError
from custos.kernel.errors import ValidationFailed


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


class StripeGateway:
    def __init__(self, *, api_key: str, api_base: str, timeout: int) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=stripe.new_default_http_client(timeout=timeout),
            max_network_retries=2,  # the SDK retries with the same idempotency key
        )

    def create_customer(self, *, email: str, name: str, metadata: dict[str, str], idempotency_key: str) -> str:
        try:
            customer = self._client.v1.customers.create(
                params={"email": email, "name": name, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_provider_message(exc)) from exc
        return str(customer.id)

    def create_checkout_session(self, *, params: dict[str, Any], idempotency_key: str) -> CreatedSession:
        try:
            session = self._client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(_provider_message(exc)) from exc
        return CreatedSession(id=str(session.id), url=str(session.url or ""))


def _provider_message(exc: stripe.StripeError) -> str:
    detail = getattr(exc, "user_message", None) or "the request failed"
    return f"The payment provider refused the request: {detail}"


def get_gateway() -> StripeGateway:
    """The gateway for the configured account; ``BillingNotConfigured`` when no secret key is set."""
    if not settings.STRIPE_SECRET_KEY:
        raise BillingNotConfigured()
    return StripeGateway(
        api_key=settings.STRIPE_SECRET_KEY, api_base=settings.STRIPE_API_BASE, timeout=settings.STRIPE_TIMEOUT
    )


def verify_webhook(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event of a webhook body whose ``Stripe-Signature`` is valid and recent, as plain JSON."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise BillingNotConfigured("Stripe webhooks are not configured on this server.")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(f"Invalid Stripe signature: {_signature_problem(signature, str(exc))}.") from exc
    except UnicodeDecodeError as exc:
        raise InvalidSignature("Invalid Stripe signature: the body is not UTF-8.") from exc
    try:
        return json.loads(payload)
    except ValueError as exc:
        raise ValidationFailed("The body is not JSON.") from exc


def _signature_problem(header: str | None, message: str) -> str:
    if not header:
        return "missing Stripe-Signature header"
    if "tolerance" in message:
        return "timestamp outside the tolerance zone"
    if "Unable to extract" in message or "No signatures found with expected scheme" in message:
        return "malformed Stripe-Signature header"
    return "signature mismatch"
