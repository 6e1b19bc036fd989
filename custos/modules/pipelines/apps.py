from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "custos.modules.pipelines"
    label = "pipelines"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        from custos.modules.pipelines import demo  # noqa: F401 - registers the demo loader
