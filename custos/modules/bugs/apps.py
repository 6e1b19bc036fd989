from django.apps import AppConfig


class BugsConfig(AppConfig):
    name = "custos.modules.bugs"
    label = "bugs"
    verbose_name = "Bugs"
