from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "custos.identity"
    label = "identity"
    verbose_name = "Identity"
