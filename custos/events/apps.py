from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "custos.events"
    label = "events"
    verbose_name = "Events"
