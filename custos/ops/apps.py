from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "custos.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from custos.ops.metrics import register_collectors

        register_collectors()
