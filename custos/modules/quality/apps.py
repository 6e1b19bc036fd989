from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "custos.modules.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from custos.modules.quality import demo  # noqa: F401 - the samples demo loader
        from custos.modules.quality.ai import demo as ai_demo  # noqa: F401 - the trained-model demo loader
