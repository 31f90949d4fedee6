"""What every service and every interface that calls services share.

- ``model_update``: the one way an update service changes a row. It takes the list of fields the service lets
  callers write, so the organization, ids and derived fields can never be changed through a service, whoever
  calls it (HackSoft's ``model_update`` idea).
- ``lock_for_update``: where every update service starts, so concurrent updates of different fields all survive.
- ``ServiceSet``: the create / update / delete services of one model, declared once per viewset and admin, so
  adding a model costs one declaration instead of a forwarding method per operation and interface.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

NOT_WRITABLE_MESSAGE = "Cannot be changed."


def model_update(*, instance: models.Model, fields: Collection[str], data: dict[str, Any]) -> list[str]:
    """Set the ``data`` values on ``instance``, refusing any name that is not in ``fields``; nothing is saved.

    Returns the names whose value changed. A refused name raises a ``ValidationError`` naming it before anything
    is set, so the instance stays as it was.
    """
    refused = sorted(set(data) - set(fields))
    if refused:
        raise ValidationError({name: [NOT_WRITABLE_MESSAGE] for name in refused})
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            changed.append(name)
        setattr(instance, name, value)
    return changed


def lock_for_update(instance: models.Model) -> models.Model:
    """Reload ``instance`` from its row as it is now, locked until the end of the transaction (``FOR UPDATE``).

    Every update service starts with it, so two concurrent updates of different fields both survive: the second
    waits for the first to commit and then applies its own fields to the row the first wrote (instead of writing
    back every column of a copy read before the first committed). The caller's object is refreshed in place.
    Raises ``DoesNotExist`` for a row deleted meanwhile.
    """
    instance.refresh_from_db(from_queryset=type(instance)._default_manager.select_for_update())
    return instance


@dataclass(frozen=True)
class ServiceSet:
    """The services that create, update and delete one model, as the API and the admin call them.

    ``create(organization=…, **fields)`` returns the row (or ``(row, created)`` for services that deduplicate);
    ``update(<instance_argument>=row, **fields)`` returns the row; ``delete(<instance_argument>=row)``.
    ``instance_argument`` defaults to the model's name (``campaign``, ``conversion``).
    """

    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    instance_argument: str | None = None

    def _instance_keyword(self, instance: models.Model) -> dict[str, models.Model]:
        return {self.instance_argument or instance._meta.model_name: instance}

    def create_row(self, *, organization, fields: dict) -> models.Model:
        created = self.create(organization=organization, **fields)
        return created[0] if isinstance(created, tuple) else created

    def update_row(self, instance: models.Model, fields: dict) -> models.Model:
        if self.update is None:
            raise ValidationError({name: [NOT_WRITABLE_MESSAGE] for name in sorted(fields)} or NOT_WRITABLE_MESSAGE)
        return self.update(**self._instance_keyword(instance), **fields)

    def delete_row(self, instance: models.Model) -> None:
        self.delete(**self._instance_keyword(instance))
