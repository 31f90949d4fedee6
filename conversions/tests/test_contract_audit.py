"""Contract audit: places where the API answered other than CONTRACT.md says, each pinned through the real routes.

- The same payload POSTed twice is a replay (200), also when it spells a default as ``null`` or ``""``.
- One bad batch item (``null`` included) never blocks the others.
"""

import pytest

from contacts.tests.factories import ContactFactory
from conversions.models import Conversion

URL = "/api/v1/conversions/"
BATCH_URL = "/api/v1/conversions/batch/"


def post(api, body):
    return api.post(URL, body, format="json")


def assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert field in error["fields"], error


# --- Deduplication: the same payload twice is a replay -------------------------------------------------------------

SAME_PAYLOAD_TWICE = {
    "revenue_without_tax null": {"revenue": 10, "revenue_without_tax": None},
    "currency blank": {"currency": ""},
    "country blank": {"country": "", "contact_id": "{contact}"},
    "email with contact_id null": {"email": "new@example.com", "contact_id": None},
    "contact_id with email null": {"contact_id": "{contact}", "email": None},
    "contact_id with email blank": {"contact_id": "{contact}", "email": ""},
}


@pytest.mark.parametrize("body", SAME_PAYLOAD_TWICE.values(), ids=SAME_PAYLOAD_TWICE.keys())
def test_the_same_payload_twice_is_a_replay_even_with_defaults_spelled_out(api, organization, body):
    contact = ContactFactory(organization=organization, email="jane@example.com", country="SK")
    body = {name: str(contact.pk) if value == "{contact}" else value for name, value in body.items()}
    body["order_id"] = "ORD-1"

    first = post(api, body)
    assert first.status_code == 201, first.json()
    again = post(api, body)

    assert again.status_code == 200, again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Conversion.objects.count() == 1


def test_a_default_spelled_out_that_differs_from_the_stored_value_is_still_a_conflict(api, organization):
    stored = post(api, {"order_id": "ORD-1", "revenue": 10, "revenue_without_tax": 8, "currency": "USD"}).json()
    for body in ({"revenue_without_tax": None}, {"currency": ""}):
        response = post(api, {"order_id": "ORD-1", "revenue": 10, **body})
        assert response.status_code == 409, response.json()
        assert response.json()["error"]["existing_id"] == stored["data"]["id"]


def test_batch_replays_a_repeated_item_that_spells_a_default_as_null(api, organization):
    item = {"order_id": "ORD-1", "revenue": 10, "revenue_without_tax": None, "currency": ""}
    assert api.post(BATCH_URL, {"conversions": [item]}, format="json").json()["summary"]["created"] == 1

    response = api.post(BATCH_URL, {"conversions": [item]}, format="json")

    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 0, "duplicates": 1, "errors": 0}


# --- Batch: one bad item never blocks the others -------------------------------------------------------------------


def test_a_null_batch_item_is_an_error_of_its_own(api, organization):
    response = api.post(BATCH_URL, {"conversions": [{"order_id": "ORD-1"}, None, {"order_id": "ORD-2"}]}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [result["status"] for result in body["data"]] == ["created", "error", "created"]
    assert body["data"][1]["error"]["type"] == "validation_error"
    assert body["summary"] == {"created": 2, "duplicates": 0, "errors": 1}
    assert Conversion.objects.count() == 2
