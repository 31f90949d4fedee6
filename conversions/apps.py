from django.apps import AppConfig


class ConversionsConfig(AppConfig):
    name = "conversions"

    def ready(self):
        from contacts.services import CONTACT_DELETE_HOOKS

        from .services import conversions_contact_removed

        if conversions_contact_removed not in CONTACT_DELETE_HOOKS:
            CONTACT_DELETE_HOOKS.append(conversions_contact_removed)
