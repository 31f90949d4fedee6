from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        # The services hand deliveries to the outbox by task name: the task must be registered in every process.
        from . import tasks  # noqa: F401
