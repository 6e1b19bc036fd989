from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "custos.orgs"
    label = "orgs"
    verbose_name = "Organizations"

    def ready(self) -> None:
        from custos.orgs import demo  # noqa: F401 - registers the demo loader
