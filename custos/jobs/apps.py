from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "custos.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        from custos.jobs import (
            signals,  # noqa: F401 - connects the Celery signal handlers
            tasks,  # noqa: F401 - registers the job tasks (``job_enqueue`` queues them by name)
        )
