"""ContactFilterSet used directly: each filter, its normalisation, and its limits (valid or a form error)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.filtersets import ContactFilterSet
from contacts.models import Contact
from contacts.tests.factories import ContactFactory


def _filtered(**data) -> set:
    filterset = ContactFilterSet(data=data, queryset=Contact.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs)


@pytest.fixture
def people(organization):
    return {
        "jane": ContactFactory(
            organization=organization, email="jane@example.com", client_contact_id="C-1", country="CZ", language="cs"
        ),
        "john": ContactFactory(organization=organization, email="john@example.com", country="DE", language="de"),
    }


@pytest.mark.django_db
def test_each_filter_matches_its_rows(people):
    jane, john = people["jane"], people["john"]
    assert _filtered() == {jane, john}
    assert _filtered(email=" JANE@example.com ") == {jane}  # compared lower-case and stripped
    assert _filtered(client_contact_id="C-1") == {jane}
    assert _filtered(client_contact_id="c-1") == set()  # an id is compared exactly
    assert _filtered(country="de") == {john}  # codes in any case
    assert _filtered(language="CS") == {jane}
    assert _filtered(country="CZ", language="de") == set()


@pytest.mark.django_db
def test_created_filters_are_inclusive_bounds(people):
    jane = people["jane"]
    Contact.objects.filter(pk=jane.pk).update(created_at=timezone.now() - timedelta(days=2))
    jane.refresh_from_db()
    assert _filtered(created_after=jane.created_at.isoformat()) == {jane, people["john"]}
    assert _filtered(created_before=jane.created_at.isoformat()) == {jane}
    assert _filtered(created_before=(jane.created_at - timedelta(microseconds=1)).isoformat()) == set()
    assert _filtered(created_after=(timezone.now() + timedelta(hours=1)).isoformat()) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["created_after", "created_before"])
@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0001-01-01T00:00:00Z", True),
        ("9999-12-31T23:59:59Z", True),
        ("0001-01-01T00:00:00+01:00", False),  # before year 1 in UTC
        ("9999-12-31T23:59:59-01:00", False),  # after year 9999 in UTC
        ("last week", False),
    ],
)
def test_created_filter_limits(name, value, valid):
    filterset = ContactFilterSet(data={name: value}, queryset=Contact.objects.all())
    assert filterset.is_valid() is valid
    assert (name in filterset.errors) is not valid
    if valid:
        assert list(filterset.qs) == []


@pytest.mark.django_db
def test_the_filterset_filters_only_the_queryset_it_is_given(people, other_organization):
    ContactFactory(organization=other_organization, email="jane@example.com")
    mine = Contact.objects.for_organization(people["jane"].organization)
    filterset = ContactFilterSet(data={"email": "jane@example.com"}, queryset=mine)
    assert filterset.is_valid()
    assert list(filterset.qs) == [people["jane"]]
