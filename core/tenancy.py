"""Which model is the tenant, and who may act for which tenant: the kernel's only knowledge of tenancy.

The kernel sits below every domain app, so it cannot import ``accounts``. Like Django's ``AUTH_USER_MODEL``, the
tenant model and the membership model are named in settings (``TENANT_MODEL``, ``TENANT_MEMBERSHIP_MODEL``) and
looked up through the app registry; every base class that scopes rows to an organization asks here.
"""

from django.apps import apps
from django.conf import settings
from django.db import models

ORGANIZATION_FIELD = "organization"


def get_tenant_model() -> type[models.Model]:
    """The organization model (``settings.TENANT_MODEL``)."""
    return apps.get_model(settings.TENANT_MODEL, require_ready=False)


def get_membership_model() -> type[models.Model]:
    """The model linking a ``user`` to an ``organization`` (``settings.TENANT_MEMBERSHIP_MODEL``)."""
    return apps.get_model(settings.TENANT_MEMBERSHIP_MODEL, require_ready=False)


def is_organization_model(model) -> bool:
    return issubclass(model, get_tenant_model())


def has_organization_field(model) -> bool:
    return any(field.name == ORGANIZATION_FIELD for field in model._meta.concrete_fields)


def is_tenant_model(model) -> bool:
    return is_organization_model(model) or has_organization_field(model)
