"""Billing: the credits ledger, Stripe checkout sessions, subscriptions and the webhook events seen.

The ledger is append-only. ``User.credits`` is the balance, kept in step with the ledger in the same
transaction (``services.credits_apply`` locks the user row, appends one entry carrying the new
balance and per-user sequence number, and updates ``User.credits``), so reading a balance never sums
the ledger, and ``sum(amount) == User.credits == last entry's balance_after`` always holds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from custos.billing.choices import CheckoutMode, CheckoutStatus, CreditReason, EventResult
from custos.kernel.models import BaseModel


class AppendOnlyError(Exception):
    """Ledger entries are never changed or removed one by one (a deleted account takes its ledger along)."""


class CreditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("credit entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("credit entries cannot be deleted")


class CreditEntry(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_entries")
    sequence = models.PositiveIntegerField()  # 1, 2, 3 … per user
    amount = models.IntegerField()  # + granted, - spent
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=CreditReason.choices)
    # What caused it: the checkout session or invoice id for Stripe grants, a job id for usage …
    reference = models.CharField(max_length=255, blank=True)
    stripe_event_id = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=255, blank=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ("-sequence",)
        constraints = [
            models.UniqueConstraint(fields=("user", "sequence"), name="billing_credit_entry_user_sequence"),
            # One grant per checkout session / invoice, whatever number of events mention it.
            models.UniqueConstraint(
                fields=("reason", "reference"),
                condition=~Q(reference=""),
                name="billing_credit_entry_reason_reference",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="billing_credit_entry_amount_nonzero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="billing_credit_entry_balance_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} #{self.sequence} {self.amount:+d} ({self.reason})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("credit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("credit entries cannot be deleted")


class CheckoutSession(BaseModel):
    """A Stripe Checkout session we created, with what it sells as it was sold (price and credits)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="checkout_sessions"
    )
    stripe_session_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255)
    product = models.CharField(max_length=64)
    mode = models.CharField(max_length=20, choices=CheckoutMode.choices)
    credits = models.PositiveIntegerField()
    unit_amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    payment_status = models.CharField(max_length=40, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.stripe_session_id} {self.product} ({self.status})"


class Subscription(BaseModel):
    """The state of one Stripe subscription, as the latest event told it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    product = models.CharField(max_length=64, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=40)  # Stripe's: active, trialing, past_due, canceled, …
    cancel_at_period_end = models.BooleanField(default=False)
    current_period_end = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # ``created`` of the newest subscription event applied: older events arriving late change nothing.
    last_event_created = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.stripe_subscription_id} {self.product} ({self.status})"


class StripeEvent(BaseModel):
    """Every verified webhook event, stored once: a second delivery of the same id changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=120, db_index=True)
    livemode = models.BooleanField(default=False)
    event_created = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    result = models.CharField(max_length=20, choices=EventResult.choices, default=EventResult.IGNORED)
    detail = models.CharField(max_length=255, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.result})"
