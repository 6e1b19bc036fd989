"""Errors of the billing services (rendered in the caller's dialect envelope like every DomainError)."""

from __future__ import annotations

from custos.kernel.errors import DomainError, ServiceUnavailable


class BillingNotConfigured(ServiceUnavailable):
    code = "BILLING_NOT_CONFIGURED"
    default_message = "Payments are not configured on this server."


class PaymentProviderError(DomainError):
    status_code = 502
    code = "PAYMENT_PROVIDER_ERROR"
    default_message = "The payment provider could not be reached or refused the request."


class InvalidSignature(DomainError):
    status_code = 400
    code = "INVALID_SIGNATURE"
    default_message = "Invalid Stripe signature."


class InsufficientCredits(DomainError):
    status_code = 402
    code = "INSUFFICIENT_CREDITS"
    default_message = "Not enough credits."
