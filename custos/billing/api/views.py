"""Billing endpoints of the access API: checkout, the Stripe webhook, the caller's credits."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.viewsets import DialectAPIView, DialectMixin
from custos.billing import selectors, services
from custos.billing.api.serializers import (
    BillingErrorSerializer,
    CheckoutRequestSerializer,
    CheckoutSessionSerializer,
    CreditEntrySerializer,
    CreditsSerializer,
    SubscriptionSerializer,
    WebhookReceiptSerializer,
)
from custos.kernel.context import WriteContext


class CheckoutView(DialectAPIView):
    dialect = "access"
    permission_classes = (IsAuthenticated,)
    serializer_class = CheckoutRequestSerializer

    @extend_schema(
        summary="Create a Stripe Checkout session",
        description="Sells a credits pack (one-off payment) or a subscription plan to the caller. "
        "503 when payments are not configured.",
        request=CheckoutRequestSerializer,
        responses={
            201: CheckoutSessionSerializer,
            400: OpenApiTypes.OBJECT,
            502: OpenApiTypes.OBJECT,
            503: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = CheckoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.checkout_session_create(
            WriteContext.from_request(request),
            product_key=serializer.validated_data["product"],
            success_url=serializer.validated_data["success_url"],
            cancel_url=serializer.validated_data["cancel_url"],
        )
        return Response(CheckoutSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class StripeWebhookView(DialectAPIView):
    """Called by Stripe. The ``Stripe-Signature`` header is the only credential."""

    dialect = "access"
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = ()

    @extend_schema(
        summary="Stripe webhook (signature-verified)",
        description="Verifies `Stripe-Signature` (HMAC-SHA256, 300 s tolerance) and applies the event once per "
        "event id. 400 on a bad or old signature; 503 when no signing secret is configured.",
        parameters=[OpenApiParameter("Stripe-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True)],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={200: WebhookReceiptSerializer, 400: BillingErrorSerializer, 503: BillingErrorSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # The signature covers the exact bytes received: read the raw body, never the parsed data.
        outcome = services.stripe_webhook_receive(
            WriteContext.from_request(request), payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        return Response(
            {
                "received": True,
                "event_id": outcome.event_id,
                "type": outcome.type,
                "duplicate": outcome.duplicate,
                "result": outcome.result,
            }
        )


class CreditsView(DialectMixin, generics.GenericAPIView):
    """The caller's own balance and ledger; there is no parameter naming another account."""

    dialect = "access"
    permission_classes = (IsAuthenticated,)
    serializer_class = CreditEntrySerializer

    def get_queryset(self):
        return selectors.credit_entries_for_user(user_id=self.request.user.pk)

    @extend_schema(
        summary="Credit balance and ledger",
        parameters=[
            OpenApiParameter("page", OpenApiTypes.INT, description="Page of the ledger (newest entries first)."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Entries per page (default 20, at most 100)."),
        ],
        responses={200: CreditsSerializer, 404: BillingErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        response = self.get_paginated_response(CreditEntrySerializer(page, many=True).data)
        subscription = selectors.subscription_current_for_user(user_id=request.user.pk)
        response.data = {
            "balance": selectors.credits_balance_get(user_id=request.user.pk),
            "subscription": SubscriptionSerializer(subscription).data if subscription else None,
            **response.data,
        }
        return response
