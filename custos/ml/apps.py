from django.apps import AppConfig


class MlConfig(AppConfig):
    name = "custos.ml"
    label = "ml"
    verbose_name = "Machine learning"
