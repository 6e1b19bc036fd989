"""Report generation (csv/json/xlsx/pdf), templates and schedules."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "custos.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from custos.reports import (
            demo,  # noqa: F401 - the scheduled-report demo loader (register_demo)
            tasks,  # noqa: F401 - registers the generation and schedule tasks (queued by name)
        )
