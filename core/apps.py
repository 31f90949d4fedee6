from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: API and admin bases, import-export base, history, validators. Owned by no domain."""

    name = "core"
    verbose_name = "Kernel"

    def ready(self):
        from celery.signals import task_success
        from simple_history.signals import pre_create_historical_record

        from .history import record_api_key
        from .outbox import follow_up_done_on_success

        task_success.connect(follow_up_done_on_success, dispatch_uid="core.follow_up_done")
        pre_create_historical_record.connect(record_api_key, dispatch_uid="core.record_api_key")
