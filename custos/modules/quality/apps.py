from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "custos.modules.quality"
    label = "quality"
    verbose_name = "Quality"
