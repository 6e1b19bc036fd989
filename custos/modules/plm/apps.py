"""Designs, series, BOM, reviews, markups and CAD processing."""

from django.apps import AppConfig


class PlmConfig(AppConfig):
    name = "custos.modules.plm"
    label = "plm"
    verbose_name = "PLM"

    def ready(self) -> None:
        from custos.modules.plm import demo, tasks  # noqa: F401 - the demo loader; plm.process_design (queued by name)
