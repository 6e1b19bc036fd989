from django.apps import AppConfig


class PlmConfig(AppConfig):
    name = "custos.modules.plm"
    label = "plm"
    verbose_name = "PLM"
