from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "custos.devices"
    label = "devices"
    verbose_name = "Devices"
