"""Designs, series, BOM, reviews, markups and CAD processing."""

from django.apps import AppConfig


class PlmConfig(AppConfig):
    name = "custos.modules.plm"
    label = "plm"
    verbose_name = "PLM"

    def ready(self) -> None:
        from custos.modules.plm import tasks  # noqa: F401 - registers plm.process_design (queued by name)
