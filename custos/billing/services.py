"""Writes of the billing app: the credits ledger, Stripe customers and checkout, webhook events.

Every service takes the ``WriteContext`` of its actor first (the webhook and the grants it triggers act
as the platform) and calls ``audit_record`` in its own transaction. Network calls to Stripe happen outside
database transactions (no lock is held while waiting for the provider); their results are then
stored in short transactions.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from custos.audit.services import audit_record
from custos.billing.choices import CheckoutMode, CheckoutStatus, CreditReason, EventResult
from custos.billing.errors import InsufficientCredits
from custos.billing.models import CheckoutSession, CreditEntry, StripeEvent, Subscription
from custos.billing.selectors import Product, billing_product_for_price, billing_products
from custos.billing.stripe_client import StripeGateway, get_gateway, verify_webhook
from custos.kernel.context import WriteContext
from custos.kernel.errors import PermissionDenied, ValidationFailed

_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")

# --- Credits ledger ---------------------------------------------------------------------------


def credits_apply(
    ctx: WriteContext,
    *,
    user_id: Any,
    amount: int,
    reason: str,
    reference: str = "",
    stripe_event_id: str = "",
    description: str = "",
) -> CreditEntry:
    """Append one ledger entry and move ``User.credits`` with it (one transaction, user row locked).

    A debit larger than the balance raises ``InsufficientCredits`` and changes nothing.
    """
    if amount == 0:
        raise ValidationFailed(field_errors={"amount": ["Must not be zero."]})
    if reason not in CreditReason.values:
        raise ValidationFailed(field_errors={"reason": [f"Unknown reason {reason!r}."]})
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().only("id", "email", "credits").get(pk=user_id)
        before = user.credits
        after = before + amount
        if after < 0:
            raise InsufficientCredits(extra={"balance": before, "required": -amount})
        last = (
            CreditEntry.objects.filter(user_id=user.pk).order_by("-sequence").values_list("sequence", flat=True).first()
        )
        entry = CreditEntry.objects.create(
            user_id=user.pk,
            sequence=(last or 0) + 1,
            amount=amount,
            balance_after=after,
            reason=reason,
            reference=reference,
            stripe_event_id=stripe_event_id,
            description=description[:255],
        )
        User.objects.filter(pk=user.pk).update(credits=after)
        audit_record(
            ctx,
            action="CREATE",
            resource_type="CreditEntry",
            resource_id=entry.pk,
            resource_name=user.email,
            changes={
                "credits": {"old": before, "new": after},
                "amount": amount,
                "reason": reason,
                "reference": reference,
                "stripe_event_id": stripe_event_id,
            },
        )
    return entry


def credits_spend(
    ctx: WriteContext, *, user_id: Any, amount: int, reference: str = "", description: str = ""
) -> CreditEntry:
    """Take ``amount`` (> 0) credits for a feature; ``InsufficientCredits`` when the balance is short."""
    if amount <= 0:
        raise ValidationFailed(field_errors={"amount": ["Must be a positive number of credits."]})
    return credits_apply(
        ctx,
        user_id=user_id,
        amount=-amount,
        reason=CreditReason.USAGE,
        reference=reference,
        description=description,
    )


def _grant_once(
    ctx: WriteContext, *, user_id: Any, credits: int, reason: str, reference: str, event_id: str, description: str
) -> bool:
    """Grant unless this (reason, reference) was granted before; True when granted now."""
    if credits <= 0 or CreditEntry.objects.filter(reason=reason, reference=reference).exists():
        return False
    try:
        with transaction.atomic():
            credits_apply(
                ctx,
                user_id=user_id,
                amount=credits,
                reason=reason,
                reference=reference,
                stripe_event_id=event_id,
                description=description,
            )
    except IntegrityError:  # granted concurrently by another event naming the same reference
        return False
    return True


# --- Stripe customer and checkout -------------------------------------------------------------


def stripe_customer_ensure(ctx: WriteContext, *, gateway: StripeGateway) -> str:
    """The Stripe customer id of ``ctx.user``, creating the customer at Stripe the first time."""
    user = _buyer(ctx)
    User = get_user_model()
    current = User.objects.values_list("stripe_customer_id", flat=True).get(pk=user.pk)
    if current:
        return current
    name = user.get_full_name() or user.username
    fingerprint = hashlib.sha256(f"{user.pk}|{user.email}|{name}".encode()).hexdigest()[:32]
    customer_id = gateway.create_customer(
        email=user.email,
        name=name,
        metadata={"custos_user_id": str(user.pk)},
        idempotency_key=f"custos-customer-{fingerprint}",
    )
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, stripe_customer_id="").update(stripe_customer_id=customer_id)
        if not updated:  # another request stored one first: use it
            return User.objects.values_list("stripe_customer_id", flat=True).get(pk=user.pk)
        audit_record(
            ctx,
            action="UPDATE",
            resource_type="User",
            resource_id=user.pk,
            resource_name=user.email,
            changes={"stripe_customer_id": {"old": "", "new": customer_id}},
        )
    user.stripe_customer_id = customer_id
    return customer_id


def _line_item(product: Product) -> dict[str, Any]:
    if product.price:
        return {"price": product.price, "quantity": 1}
    price_data: dict[str, Any] = {
        "currency": product.currency,
        "unit_amount": product.unit_amount,
        "product_data": {"name": product.name},
    }
    if product.mode == CheckoutMode.SUBSCRIPTION:
        price_data["recurring"] = {"interval": product.interval or "month"}
    return {"price_data": price_data, "quantity": 1}


def _buyer(ctx: WriteContext) -> Any:
    if ctx.user is None:
        raise PermissionDenied("Only a signed-in account can buy credits.")
    return ctx.user


def checkout_session_create(
    ctx: WriteContext, *, product_key: str, success_url: str, cancel_url: str
) -> CheckoutSession:
    """A Stripe Checkout session selling ``product_key`` to ``ctx.user`` (its customer created or reused)."""
    user = _buyer(ctx)
    product = billing_products().get(product_key)
    errors: dict[str, list[str]] = {}
    if product is None:
        errors["product"] = [f"Unknown product {product_key!r}. Choose one of: {', '.join(billing_products())}."]
    for field, url in (("success_url", success_url), ("cancel_url", cancel_url)):
        try:
            _http_url(url)
        except DjangoValidationError:
            errors[field] = ["Enter a valid http(s) URL."]
    if errors or product is None:
        raise ValidationFailed(field_errors=errors)
    gateway = get_gateway()  # BillingNotConfigured (503) before anything is written
    customer_id = stripe_customer_ensure(ctx, gateway=gateway)
    metadata = {"custos_user_id": str(user.pk), "product": product.key, "credits": str(product.credits)}
    params: dict[str, Any] = {
        "mode": product.mode,
        "customer": customer_id,
        "client_reference_id": str(user.pk),
        "line_items": [_line_item(product)],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": metadata,
    }
    if product.mode == CheckoutMode.SUBSCRIPTION:
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    created = gateway.create_checkout_session(params=params, idempotency_key=f"custos-checkout-{uuid.uuid4()}")
    with transaction.atomic():
        session = CheckoutSession.objects.create(
            user=user,
            stripe_session_id=created.id,
            stripe_customer_id=customer_id,
            product=product.key,
            mode=product.mode,
            credits=product.credits,
            unit_amount=product.unit_amount,
            currency=product.currency,
            url=created.url,
        )
        audit_record(
            ctx,
            action="CREATE",
            resource_type="CheckoutSession",
            resource_id=session.pk,
            resource_name=created.id,
            changes={"product": product.key, "mode": product.mode, "credits": product.credits},
        )
    return session


# --- Webhook events ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    type: str
    duplicate: bool
    result: str
    detail: str


@dataclass(frozen=True)
class _Applied:
    result: str
    detail: str
    user_id: Any = None


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _object_id(value: Any) -> str:
    """An id that Stripe may send as a string or as an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _user_for_customer(customer_id: str) -> Any:
    if not customer_id:
        return None
    return get_user_model().objects.filter(stripe_customer_id=customer_id).values_list("pk", flat=True).first()


def _on_checkout_completed(ctx: WriteContext, event: dict[str, Any], obj: dict[str, Any]) -> _Applied:
    session = CheckoutSession.objects.select_for_update().filter(stripe_session_id=_object_id(obj)).first()
    if session is None:
        return _Applied(EventResult.IGNORED, "unknown checkout session")
    if session.user_id is None:
        return _Applied(EventResult.IGNORED, "the account no longer exists")
    reference_user = obj.get("client_reference_id")
    if reference_user and reference_user != str(session.user_id):
        return _Applied(EventResult.IGNORED, "client_reference_id does not match the session's account")
    payment_status = str(obj.get("payment_status") or "")
    paid = payment_status in ("paid", "no_payment_required")
    session.payment_status = payment_status
    if session.mode == CheckoutMode.SUBSCRIPTION:
        subscription_id = _object_id(obj.get("subscription"))
        session.status, session.completed_at = CheckoutStatus.COMPLETED, timezone.now()
        session.stripe_subscription_id = subscription_id
        session.save(update_fields=["payment_status", "status", "completed_at", "stripe_subscription_id", "updated_at"])
        if subscription_id:
            subscription, created = Subscription.objects.select_for_update().get_or_create(
                stripe_subscription_id=subscription_id,
                defaults={
                    "user_id": session.user_id,
                    "stripe_customer_id": session.stripe_customer_id,
                    "product": session.product,
                    "status": "active" if paid else "incomplete",
                },
            )
            if not created and (subscription.user_id is None or not subscription.product):
                subscription.user_id = subscription.user_id or session.user_id
                subscription.product = subscription.product or session.product
                subscription.save(update_fields=["user", "product", "updated_at"])
        return _Applied(EventResult.APPLIED, f"subscription {subscription_id} linked", session.user_id)
    if not paid:
        session.save(update_fields=["payment_status", "updated_at"])
        return _Applied(EventResult.APPLIED, "awaiting payment", session.user_id)
    session.status, session.completed_at = CheckoutStatus.COMPLETED, session.completed_at or timezone.now()
    session.save(update_fields=["payment_status", "status", "completed_at", "updated_at"])
    granted = _grant_once(
        ctx,
        user_id=session.user_id,
        credits=session.credits,
        reason=CreditReason.PURCHASE,
        reference=session.stripe_session_id,
        event_id=str(event["id"]),
        description=f"Checkout: {session.product}",
    )
    detail = f"granted {session.credits} credits" if granted else "credits already granted for this session"
    return _Applied(EventResult.APPLIED, detail, session.user_id)


def _on_checkout_closed(ctx: WriteContext, event: dict[str, Any], obj: dict[str, Any]) -> _Applied:
    """``checkout.session.expired`` / ``async_payment_failed``: the session will never pay."""
    session = CheckoutSession.objects.select_for_update().filter(stripe_session_id=_object_id(obj)).first()
    if session is None:
        return _Applied(EventResult.IGNORED, "unknown checkout session")
    if session.status == CheckoutStatus.COMPLETED and session.mode == CheckoutMode.SUBSCRIPTION:
        return _Applied(EventResult.IGNORED, "session already completed", session.user_id)
    expired = event["type"] == "checkout.session.expired"
    session.status = CheckoutStatus.EXPIRED if expired else CheckoutStatus.FAILED
    session.payment_status = str(obj.get("payment_status") or session.payment_status)
    session.save(update_fields=["status", "payment_status", "updated_at"])
    return _Applied(EventResult.APPLIED, f"session {session.status}", session.user_id)


def _subscription_period_end(obj: dict[str, Any]) -> datetime | None:
    # Top-level before API version 2025-03-31; on each subscription item since.
    if obj.get("current_period_end"):
        return _timestamp(obj.get("current_period_end"))
    items = (obj.get("items") or {}).get("data") or []
    ends = [_timestamp(item.get("current_period_end")) for item in items if isinstance(item, dict)]
    return max((end for end in ends if end), default=None)


def _subscription_price_id(obj: dict[str, Any]) -> str:
    items = (obj.get("items") or {}).get("data") or []
    first = items[0] if items and isinstance(items[0], dict) else {}
    return _object_id(first.get("price"))


def _on_subscription_event(ctx: WriteContext, event: dict[str, Any], obj: dict[str, Any]) -> _Applied:
    subscription_id = _object_id(obj)
    customer_id = _object_id(obj.get("customer"))
    subscription = Subscription.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
    user_id = _user_for_customer(customer_id) or (subscription.user_id if subscription else None)
    if user_id is None:
        return _Applied(EventResult.IGNORED, "unknown customer")
    event_created = _timestamp(event.get("created"))
    if (
        subscription
        and subscription.last_event_created
        and event_created
        and event_created < subscription.last_event_created
    ):
        return _Applied(EventResult.IGNORED, "older than the state already recorded", user_id)
    price_id = _subscription_price_id(obj)
    metadata_product = str((obj.get("metadata") or {}).get("product") or "")
    by_price = billing_product_for_price(price_id=price_id)
    product = (
        metadata_product
        if metadata_product in billing_products()
        else (by_price.key if by_price else (subscription.product if subscription else ""))
    )
    status = str(obj.get("status") or ("canceled" if event["type"].endswith(".deleted") else "incomplete"))
    values = {
        "user_id": user_id,
        "stripe_customer_id": customer_id,
        "product": product,
        "stripe_price_id": price_id,
        "status": status,
        "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
        "current_period_end": _subscription_period_end(obj),
        "ended_at": _timestamp(obj.get("ended_at")),
        "last_event_created": event_created,
    }
    if subscription is None:
        Subscription.objects.create(stripe_subscription_id=subscription_id, **values)
    else:
        for name, value in values.items():
            setattr(subscription, name, value)
        subscription.save()
    return _Applied(EventResult.APPLIED, f"subscription {status}", user_id)


def _invoice_subscription(obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The subscription id and metadata of an invoice, in the old and the new (2025) invoice shapes."""
    details = (obj.get("parent") or {}).get("subscription_details") or obj.get("subscription_details") or {}
    subscription_id = _object_id(obj.get("subscription")) or _object_id(details.get("subscription"))
    return subscription_id, details.get("metadata") or {}


def _on_invoice_paid(ctx: WriteContext, event: dict[str, Any], obj: dict[str, Any]) -> _Applied:
    """A paid subscription period (first or renewal) grants the plan's credits, once per invoice."""
    subscription_id, metadata = _invoice_subscription(obj)
    if not subscription_id:
        return _Applied(EventResult.IGNORED, "not a subscription invoice")
    billing_reason = str(obj.get("billing_reason") or "")
    if billing_reason not in ("subscription_create", "subscription_cycle"):
        return _Applied(EventResult.IGNORED, f"no credits for billing reason {billing_reason or 'unknown'}")
    subscription = Subscription.objects.select_for_update().filter(stripe_subscription_id=subscription_id).first()
    user_id = (subscription.user_id if subscription else None) or _user_for_customer(_object_id(obj.get("customer")))
    if user_id is None:
        return _Applied(EventResult.IGNORED, "unknown customer")
    product_key = (subscription.product if subscription else "") or str(metadata.get("product") or "")
    product = billing_products().get(product_key)
    if product is None or product.mode != CheckoutMode.SUBSCRIPTION:
        return _Applied(EventResult.IGNORED, "unknown plan", user_id)
    invoice_id = _object_id(obj)
    granted = _grant_once(
        ctx,
        user_id=user_id,
        credits=product.credits,
        reason=CreditReason.SUBSCRIPTION,
        reference=invoice_id,
        event_id=str(event["id"]),
        description=f"Subscription period: {product.key}",
    )
    detail = f"granted {product.credits} credits" if granted else "credits already granted for this invoice"
    return _Applied(EventResult.APPLIED, detail, user_id)


_HANDLERS = {
    "checkout.session.completed": _on_checkout_completed,
    "checkout.session.async_payment_succeeded": _on_checkout_completed,
    "checkout.session.async_payment_failed": _on_checkout_closed,
    "checkout.session.expired": _on_checkout_closed,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_event,
    "customer.subscription.paused": _on_subscription_event,
    "customer.subscription.resumed": _on_subscription_event,
    "invoice.paid": _on_invoice_paid,
}


def _event_parts(event: Any) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(event, dict) or event.get("object") != "event":
        raise ValidationFailed("The body is not a Stripe event.")
    event_id, event_type = event.get("id"), event.get("type")
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise ValidationFailed(field_errors={"id": ["A Stripe event id is required."]})
    if not isinstance(event_type, str) or not event_type or len(event_type) > 120:
        raise ValidationFailed(field_errors={"type": ["A Stripe event type is required."]})
    if not isinstance(obj, dict):
        raise ValidationFailed(field_errors={"data": ["data.object is required."]})
    return event_id, event_type, obj


def stripe_webhook_receive(ctx: WriteContext, *, payload: bytes, signature: str | None) -> WebhookOutcome:
    """Verify a webhook delivery and apply its event exactly once (a repeated event id changes nothing).

    Stripe is not a user: the event and the grants it triggers are written as the platform
    (``ctx`` keeps the delivery's address and request id)."""
    ctx = replace(ctx, user=None, api_key=None, device=None, from_http=False)
    event = verify_webhook(payload=payload, signature=signature)
    event_id, event_type, obj = _event_parts(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event_id,
                    type=event_type,
                    livemode=bool(event.get("livemode")),
                    event_created=_timestamp(event.get("created")),
                    payload=event,
                )
        except IntegrityError:
            seen = StripeEvent.objects.get(event_id=event_id)
            return WebhookOutcome(event_id, event_type, duplicate=True, result=seen.result, detail=seen.detail)
        handler = _HANDLERS.get(event_type)
        applied = handler(ctx, event, obj) if handler else _Applied(EventResult.IGNORED, "event type not handled")
        record.result, record.detail, record.user_id = applied.result, applied.detail[:255], applied.user_id
        record.save(update_fields=["result", "detail", "user", "updated_at"])
        audit_record(
            ctx,
            action="CREATE",
            resource_type="StripeEvent",
            resource_id=record.pk,
            resource_name=event_id,
            changes={"type": event_type, "result": applied.result, "detail": applied.detail},
        )
    return WebhookOutcome(event_id, event_type, duplicate=False, result=applied.result, detail=applied.detail)
