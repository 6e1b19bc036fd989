from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "custos.modules.pipelines"
    label = "pipelines"
    verbose_name = "Pipelines"

    def ready(self) -> None:
        from custos.modules.pipelines import demo, tasks  # noqa: F401 - register the demo loader and the tasks
