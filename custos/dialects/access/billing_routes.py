"""access dialect: billing and credits routes."""

from custos.api.routing import both
from custos.billing.api.views import CheckoutView, CreditsView, StripeWebhookView

urlpatterns = [
    *both("api/access/credits/", CreditsView.as_view(), "access-credits"),
    *both("api/access/billing/checkout/", CheckoutView.as_view(), "access-billing-checkout"),
    *both("api/access/billing/webhook/", StripeWebhookView.as_view(), "access-billing-webhook"),
]
websocket_urlpatterns: list = []
