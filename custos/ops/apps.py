from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "custos.ops"
    label = "ops"
    verbose_name = "Operations"
