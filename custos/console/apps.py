from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "custos.console"
    label = "console"
    verbose_name = "Operator console"
