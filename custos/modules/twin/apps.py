from django.apps import AppConfig


class TwinConfig(AppConfig):
    name = "custos.modules.twin"
    label = "twin"
    verbose_name = "Digital twin"
