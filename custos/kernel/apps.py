from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "custos.kernel"
    label = "kernel"
    verbose_name = "Kernel"
