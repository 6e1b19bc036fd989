from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "custos.reports"
    label = "reports"
    verbose_name = "Reports"
