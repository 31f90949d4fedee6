"""/api/v1/contacts/: the shared API contract (core/tests/api_contract.py), then fields, uniqueness, limits,
filters and search."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from core.tests.api_contract import TenantResourceContract, listed_ids

URL = "/api/v1/contacts/"


class TestContactsAPI(TenantResourceContract):
    path = URL
    model = Contact
    patch = {"surname": "Patched"}
    facet = "country"
    datetime_filters = ("created_after", "created_before")

    def make(self, organization):
        return ContactFactory(organization=organization)

    def create_body(self, organization):
        return {"email": "New@Example.com", "country": "cz", "language": "cs"}

    def put_body(self, organization):
        return {"email": "put@example.com", "first_name": "Put", "surname": "Person"}


def test_contact_create_and_list(api):
    response = api.post(URL, {"email": "Jane@Example.com", "country": "cz"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["email"] == "jane@example.com"
    listing = api.get(URL)
    assert listing.json()["pagination"]["total"] == 1


def test_create_normalises_email_and_codes(api, organization):
    response = api.post(
        URL,
        {
            "email": " Jane@Example.COM ",
            "client_contact_id": "C-1",
            "first_name": "Jane",
            "country": "cz",
            "language": "CS",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["email"] == "jane@example.com"
    assert data["country"] == "CZ" and data["language"] == "cs"
    assert set(data) == {
        "id", "email", "client_contact_id", "first_name", "surname", "country", "language", "created_at", "updated_at",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "bad_field"),
    [
        ({"client_contact_id": "c" * 100}, None),
        ({"client_contact_id": "c" * 101}, "client_contact_id"),
        ({"first_name": "f" * 100}, None),
        ({"first_name": "f" * 101}, "first_name"),
        ({"email": "not-an-email"}, "email"),
        ({"country": "ZZ"}, "country"),
        ({"language": "xx"}, "language"),
        ({"language": "ces"}, "language"),
    ],
)
def test_limits(api, organization, body, bad_field):
    response = api.post(URL, body, format="json")
    if bad_field is None:
        assert response.status_code == 201, response.json()
    else:
        assert response.status_code == 400
        assert bad_field in response.json()["error"]["fields"]
        assert Contact.objects.count() == 0


def test_email_and_client_id_are_unique_per_organization(api, other_api, organization):
    ContactFactory(organization=organization, email="jane@example.com", client_contact_id="C-1")
    duplicate_email = api.post(URL, {"email": "JANE@example.com"}, format="json")
    assert duplicate_email.status_code == 400
    assert "email" in duplicate_email.json()["error"]["fields"]
    duplicate_id = api.post(URL, {"client_contact_id": "C-1"}, format="json")
    assert duplicate_id.status_code == 400
    assert "client_contact_id" in duplicate_id.json()["error"]["fields"]
    # Another organization has its own address space.
    assert (
        other_api.post(URL, {"email": "jane@example.com", "client_contact_id": "C-1"}, format="json").status_code == 201
    )


def test_update_into_an_existing_email_is_400(api, organization):
    ContactFactory(organization=organization, email="jane@example.com")
    john = ContactFactory(organization=organization, email="john@example.com")
    response = api.patch(f"{URL}{john.pk}/", {"email": "Jane@example.com"}, format="json")
    assert response.status_code == 400
    john.refresh_from_db()
    assert john.email == "john@example.com"


def test_filters(api, organization):
    jane = ContactFactory(
        organization=organization, email="jane@example.com", client_contact_id="C-1", country="CZ", language="cs"
    )
    john = ContactFactory(organization=organization, email="john@example.com", country="DE", language="de")
    assert listed_ids(api.get(URL, {"email": "JANE@example.com"})) == {str(jane.pk)}
    assert listed_ids(api.get(URL, {"client_contact_id": "C-1"})) == {str(jane.pk)}
    assert listed_ids(api.get(URL, {"country": "de"})) == {str(john.pk)}
    assert listed_ids(api.get(URL, {"language": "CS"})) == {str(jane.pk)}
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    assert listed_ids(api.get(URL, {"created_after": an_hour_ago})) == {str(jane.pk), str(john.pk)}
    assert listed_ids(api.get(URL, {"created_before": an_hour_ago})) == set()
    response = api.get(URL, {"created_after": "last week"})
    assert response.status_code == 400
    assert "created_after" in response.json()["error"]["fields"]


def test_search_and_ordering(api, organization):
    jane = ContactFactory(organization=organization, email="jane@example.com", first_name="Jane", surname="Adams")
    john = ContactFactory(organization=organization, email="john@other.org", first_name="John", surname="Brown")
    assert listed_ids(api.get(URL, {"search": "other.org"})) == {str(john.pk)}
    assert listed_ids(api.get(URL, {"search": "adams"})) == {str(jane.pk)}
    rows = api.get(URL, {"ordering": "-surname"}).json()["data"]
    assert [row["surname"] for row in rows] == ["Brown", "Adams"]


def test_facets(api, organization):
    ContactFactory(organization=organization, country="CZ", language="cs")
    ContactFactory(organization=organization, country="CZ", language="")
    ContactFactory(organization=organization, country="DE", language="de")
    facets = api.get(URL, {"facets": "country,language"}).json()["facets"]
    assert facets == {"country": {"CZ": 2, "DE": 1}, "language": {"": 1, "cs": 1, "de": 1}}
