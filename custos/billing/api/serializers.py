"""Input and output shapes of the billing endpoints (access dialect)."""

from __future__ import annotations

from django.core.validators import URLValidator
from rest_framework import serializers

from custos.billing.models import CreditEntry, Subscription
from custos.billing.selectors import billing_products

_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


class CheckoutRequestSerializer(serializers.Serializer):
    product = serializers.CharField(
        max_length=64, help_text="A product key of the catalogue: credits_100, credits_500 or pro_monthly."
    )
    success_url = serializers.CharField(
        max_length=2000,
        validators=[_http_url],
        help_text="Where Stripe sends the buyer after paying (may contain {CHECKOUT_SESSION_ID}).",
    )
    cancel_url = serializers.CharField(max_length=2000, validators=[_http_url])

    def validate_product(self, value: str) -> str:
        products = billing_products()
        if value not in products:
            raise serializers.ValidationError(f"Unknown product {value!r}. Choose one of: {', '.join(products)}.")
        return value


class BillingErrorSerializer(serializers.Serializer):
    """The access error envelope, as the billing endpoints answer it."""

    error = serializers.CharField()
    details = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class CheckoutSessionSerializer(serializers.Serializer):
    id = serializers.CharField(source="stripe_session_id", help_text="The Stripe Checkout session id.")
    url = serializers.CharField(help_text="Where to send the buyer to pay.")


class WebhookReceiptSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    event_id = serializers.CharField()
    type = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="True when this event id was applied before (nothing changed).")
    result = serializers.CharField()


class CreditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditEntry
        fields = ("id", "sequence", "amount", "balance_after", "reason", "reference", "description", "created_at")
        read_only_fields = fields


class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ("id", "product", "status", "cancel_at_period_end", "current_period_end", "ended_at", "updated_at")
        read_only_fields = fields


class CreditsSerializer(serializers.Serializer):
    """``GET /api/access/credits/``: the balance, the plan in force and one page of the ledger."""

    balance = serializers.IntegerField()
    subscription = SubscriptionSerializer(allow_null=True)
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CreditEntrySerializer(many=True)
