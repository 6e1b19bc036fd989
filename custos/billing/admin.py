"""Billing records in the admin: read-only (the ledger is append-only; Stripe is the source of the rest)."""

from django.contrib import admin

from custos.billing.models import CheckoutSession, CreditEntry, StripeEvent, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "sequence", "amount", "balance_after", "reason", "reference")
    list_filter = ("reason",)
    search_fields = ("user__email", "reference", "stripe_event_id")
    list_select_related = ("user",)


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "product", "mode", "status", "payment_status", "stripe_session_id")
    list_filter = ("status", "mode", "product")
    search_fields = ("user__email", "stripe_session_id", "stripe_customer_id")
    list_select_related = ("user",)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("stripe_subscription_id", "user", "product", "status", "current_period_end", "cancel_at_period_end")
    list_filter = ("status", "product")
    search_fields = ("user__email", "stripe_subscription_id", "stripe_customer_id")
    list_select_related = ("user",)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event_id", "type", "result", "detail", "user")
    list_filter = ("type", "result", "livemode")
    search_fields = ("event_id", "user__email")
    list_select_related = ("user",)
