from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "custos.alerts"
    label = "alerts"
    verbose_name = "Alerts"
