from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "custos.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        from custos.identity import schema  # noqa: F401 - registers the OpenAPI security schemes
