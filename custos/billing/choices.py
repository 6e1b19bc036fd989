"""Choices of the billing app."""

from __future__ import annotations

from django.db import models


class CreditReason(models.TextChoices):
    PURCHASE = "purchase", "Credits pack bought"
    SUBSCRIPTION = "subscription", "Subscription period paid"
    USAGE = "usage", "Spent on a feature"
    ADJUSTMENT = "adjustment", "Adjusted by staff"
    REFUND = "refund", "Refund"


class CheckoutMode(models.TextChoices):
    PAYMENT = "payment", "One-off payment"
    SUBSCRIPTION = "subscription", "Subscription"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    FAILED = "failed", "Payment failed"


class EventResult(models.TextChoices):
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Ignored"
