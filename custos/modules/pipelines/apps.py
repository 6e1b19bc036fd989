from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "custos.modules.pipelines"
    label = "pipelines"
    verbose_name = "Pipelines"
