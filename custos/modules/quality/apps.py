from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "custos.modules.quality"
    label = "quality"
    verbose_name = "Quality"

    def ready(self) -> None:
        from custos.modules.quality import (
            demo,  # noqa: F401 - the samples demo loader
            report_content,  # noqa: F401 - the quality_summary report kind
        )
        from custos.modules.quality.ai import demo as ai_demo  # noqa: F401 - the trained-model demo loader
        from custos.modules.quality.ai import tasks as ai_tasks  # noqa: F401 - Celery does not look in subpackages
