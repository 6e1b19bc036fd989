from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "custos.devices"
    label = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        from custos.devices import (
            demo,  # noqa: F401 - the firmware/OTA demo loader
            ota_tasks,  # noqa: F401 - the OTA periodic task
            schema,  # noqa: F401 - registers the OpenAPI security scheme
            signals,  # noqa: F401 - default alarm rules of new organizations
        )
