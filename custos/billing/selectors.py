"""Reads of the billing app: the product catalogue, balances, ledgers and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from custos.billing.models import CreditEntry, Subscription

# Subscription states in which the plan is in force (Stripe's vocabulary).
ACTIVE_SUBSCRIPTION_STATES = ("active", "trialing", "past_due")


@dataclass(frozen=True)
class Product:
    key: str
    name: str
    mode: str  # "payment" | "subscription"
    credits: int  # per purchase, or per paid period of a subscription
    unit_amount: int  # smallest currency unit (cents)
    currency: str
    price: str = ""  # a Stripe Price id, when configured
    interval: str = ""  # "month" | "year" for subscriptions


def billing_products() -> dict[str, Product]:
    """The catalogue (``settings.BILLING_PRODUCTS``), keyed by product key."""
    return {
        key: Product(
            key=key,
            name=str(spec["name"]),
            mode=str(spec["mode"]),
            credits=int(spec["credits"]),
            unit_amount=int(spec["unit_amount"]),
            currency=settings.BILLING_CURRENCY,
            price=str(spec.get("price") or ""),
            interval=str(spec.get("interval") or ""),
        )
        # The settings mix str and int values (inferred as ``object``); each is converted above.
        for key, spec in cast("dict[str, dict[str, Any]]", settings.BILLING_PRODUCTS).items()
    }


def billing_product_for_price(*, price_id: str) -> Product | None:
    if not price_id:
        return None
    return next((product for product in billing_products().values() if product.price == price_id), None)


# ``user_id`` below: a user's primary key, as the views hold it (``request.user.pk``, which the stubs type
# ``UUID | None`` since DRF's user may be anonymous).
def credits_balance_get(*, user_id: Any) -> int:
    """The balance as stored now (not the possibly stale ``request.user.credits``)."""
    return get_user_model().objects.values_list("credits", flat=True).get(pk=user_id)


def credit_entries_for_user(*, user_id: Any) -> QuerySet[CreditEntry]:
    """One user's ledger, newest first. There is no way to ask for anyone else's."""
    return CreditEntry.objects.filter(user_id=user_id).order_by("-sequence")


def subscription_current_for_user(*, user_id: Any) -> Subscription | None:
    """The subscription in force (else the most recent one), or ``None``."""
    subscriptions = Subscription.objects.filter(user_id=user_id)
    return (
        subscriptions.filter(status__in=ACTIVE_SUBSCRIPTION_STATES).order_by("-created_at").first()
        or subscriptions.order_by("-created_at").first()
    )
