from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Organizations and access"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from .history import record_api_key

        pre_create_historical_record.connect(record_api_key, dispatch_uid="accounts.record_api_key")
