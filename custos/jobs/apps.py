from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "custos.jobs"
    label = "jobs"
    verbose_name = "Jobs"
