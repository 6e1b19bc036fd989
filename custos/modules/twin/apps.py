from django.apps import AppConfig


class TwinConfig(AppConfig):
    name = "custos.modules.twin"
    label = "twin"
    verbose_name = "Digital twin"

    def ready(self) -> None:
        # the demo fleet loader and the Socket.IO data providers register themselves on import
        from custos.modules.twin import (  # noqa: F401
            demo,
            live,
            report_content,
        )
