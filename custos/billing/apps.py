from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "custos.billing"
    label = "billing"
    verbose_name = "Billing"
