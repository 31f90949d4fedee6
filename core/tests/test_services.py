"""The kernel's service helpers: ``model_update`` (the writable-fields guard) and ``ServiceSet``."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from core.services import NOT_WRITABLE_MESSAGE, ServiceSet, model_update


def test_model_update_sets_writable_fields_and_reports_what_changed():
    group = Group(name="before")
    assert model_update(instance=group, fields={"name"}, data={"name": "after"}) == ["name"]
    assert group.name == "after"
    assert model_update(instance=group, fields={"name"}, data={"name": "after"}) == []


def test_model_update_refuses_every_other_field_before_setting_anything():
    group = Group(pk=7, name="before")
    with pytest.raises(ValidationError) as raised:
        model_update(instance=group, fields={"name"}, data={"name": "after", "id": 8, "permissions": []})
    assert raised.value.message_dict == {"id": [NOT_WRITABLE_MESSAGE], "permissions": [NOT_WRITABLE_MESSAGE]}
    assert (group.pk, group.name) == (7, "before")


def test_service_set_calls_each_service_with_the_row_named_after_its_model():
    calls = []
    group = Group(name="g")
    service_set = ServiceSet(
        create=lambda **kwargs: (calls.append(("create", kwargs)), group)[1],
        update=lambda **kwargs: (calls.append(("update", kwargs)), group)[1],
        delete=lambda **kwargs: calls.append(("delete", kwargs)),
    )
    assert service_set.create_row(organization="org", fields={"name": "g"}) is group
    assert service_set.update_row(group, {"name": "h"}) is group
    service_set.delete_row(group)
    assert calls == [
        ("create", {"organization": "org", "name": "g"}),
        ("update", {"group": group, "name": "h"}),
        ("delete", {"group": group}),
    ]


def test_service_set_unwraps_a_deduplicating_create_and_honours_an_explicit_argument_name():
    group = Group(name="g")
    service_set = ServiceSet(create=lambda **kwargs: (group, False), update=lambda **kwargs: kwargs["team"])
    service_set = ServiceSet(create=service_set.create, update=service_set.update, instance_argument="team")
    assert service_set.create_row(organization=None, fields={}) is group
    assert service_set.update_row(group, {}) is group


def test_a_model_without_an_update_service_cannot_be_changed():
    with pytest.raises(ValidationError) as raised:
        ServiceSet().update_row(Group(name="g"), {"name": "h"})
    assert raised.value.message_dict == {"name": [NOT_WRITABLE_MESSAGE]}
