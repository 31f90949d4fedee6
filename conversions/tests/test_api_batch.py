"""POST /api/v1/conversions/batch/: each item validated and stored on its own, with a result per item."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from conversions.models import Conversion
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory
from core.tests.api_contract import assert_400_on

URL = "/api/v1/conversions/batch/"


def batch(api, items):
    return api.post(URL, {"conversions": items}, format="json")


def test_mixed_results(api, organization, other_organization):
    existing, _ = conversion_create(organization=organization, order_id="OLD", revenue=Decimal("10.00"))
    campaign = CampaignFactory(organization=organization)
    items = [
        {"order_id": "N-1", "email": "Jane@Example.com", "revenue": 149.99, "campaign_id": str(campaign.pk)},
        {"order_id": "N-2", "revenue": "1.001"},  # 3 decimals
        {"order_id": "OLD", "revenue": "10.00"},  # identical replay
        {"order_id": "OLD", "revenue": "99.00"},  # conflict
        {"order_id": "N-1", "email": "jane@example.com", "revenue": "149.99", "campaign_id": str(campaign.pk)},
        {"order_id": "N-1", "revenue": "1.00"},  # same order id inside the batch, different payload
        {"colour": "red"},
        "not an object",
        {"contact_id": str(ContactFactory(organization=other_organization).pk)},
        {"email": "ghost@example.com", "converted_at": (timezone.now() + timedelta(minutes=6)).isoformat()},
        {"email": "jane@example.com"},  # the contact created by item 0, no order id
    ]
    response = batch(api, items)
    assert response.status_code == 200, response.json()
    body = response.json()
    results = body["data"]
    assert [result["index"] for result in results] == list(range(len(items)))
    assert [result["status"] for result in results] == [
        "created", "error", "duplicate", "error", "duplicate", "error", "error", "error", "error", "error", "created",
    ]  # fmt: skip
    assert body["summary"] == {"created": 2, "duplicates": 2, "errors": 7}

    created = Conversion.objects.get(order_id="N-1")
    assert results[0]["id"] == results[4]["id"] == str(created.pk)
    assert created.revenue == Decimal("149.99")
    assert created.attributions.get().campaign_id == campaign.pk
    assert results[0]["error"] is None
    assert results[2]["id"] == str(existing.pk)

    assert results[1]["id"] is None
    assert results[1]["error"]["type"] == "validation_error"
    assert "revenue" in results[1]["error"]["fields"]
    assert results[3]["error"]["type"] == "conflict"
    assert results[3]["error"]["existing_id"] == str(existing.pk)
    assert results[5]["error"]["existing_id"] == str(created.pk)
    assert results[6]["error"]["fields"] == {"colour": ["Unknown field."]}
    assert results[7]["error"]["type"] == "validation_error"
    assert "contact_id" in results[8]["error"]["fields"]
    assert "converted_at" in results[9]["error"]["fields"]

    # Bad items stored nothing (not even the contact of item 9); good ones are all there.
    assert not Contact.objects.filter(email="ghost@example.com").exists()
    assert Conversion.objects.count() == 3
    assert Conversion.objects.get(pk=results[10]["id"]).contact.email == "jane@example.com"
    assert Contact.objects.filter(email="jane@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.revenue == Decimal("10.00")


def test_existing_contacts_are_found_by_email_and_id(api, organization):
    jane = ContactFactory(organization=organization, email="jane@example.com")
    response = batch(api, [{"email": "JANE@example.com"}, {"contact_id": str(jane.pk)}, {"email": "new@example.com"}])
    assert response.json()["summary"] == {"created": 3, "duplicates": 0, "errors": 0}
    conversions = [Conversion.objects.get(pk=result["id"]) for result in response.json()["data"]]
    assert conversions[0].contact_id == conversions[1].contact_id == jane.pk
    assert conversions[2].contact.email == "new@example.com"


def test_email_and_contact_id_disagreeing_is_an_item_error(api, organization):
    jane = ContactFactory(organization=organization, email="jane@example.com")
    ContactFactory(organization=organization, email="john@example.com")
    response = batch(api, [{"email": "john@example.com", "contact_id": str(jane.pk)}])
    assert response.json()["data"][0]["status"] == "error"
    assert "email" in response.json()["data"][0]["error"]["fields"]
    assert Conversion.objects.count() == 0


def test_a_whole_batch_replayed_is_all_duplicates(api, organization):
    items = [{"order_id": f"R-{index}", "revenue": "2.50", "email": f"p{index}@example.com"} for index in range(20)]
    assert batch(api, items).json()["summary"] == {"created": 20, "duplicates": 0, "errors": 0}
    assert batch(api, items).json()["summary"] == {"created": 0, "duplicates": 20, "errors": 0}
    assert Conversion.objects.count() == 20


def test_the_item_limit_just_inside_and_just_outside(api, organization):
    response = batch(api, [{"revenue": "1.00"} for _ in range(1000)])
    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 1000, "duplicates": 0, "errors": 0}
    response = batch(api, [{"revenue": "1.00"} for _ in range(1001)])
    assert response.status_code == 400
    assert "conversions" in response.json()["error"]["fields"]
    assert Conversion.objects.count() == 1000


def test_an_empty_batch_stores_nothing(api, organization):
    response = batch(api, [])
    assert response.status_code == 200
    assert response.json() == {"data": [], "summary": {"created": 0, "duplicates": 0, "errors": 0}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"conversions": {"revenue": 1}}, "conversions"),
        ({"conversions": "all of them"}, "conversions"),
        ({"conversions": None}, "conversions"),
        ({}, "conversions"),
        ({"conversions": [], "dry_run": True}, "dry_run"),
        ({"conversions": [], "organization": "x"}, "organization"),
        ([{"revenue": 1}], "non_field_errors"),
    ],
)
def test_malformed_batch_bodies_are_400(api, organization, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Conversion.objects.count() == 0


def test_batch_needs_a_read_write_key(read_only_api, client, organization):
    response = read_only_api.post(URL, {"conversions": [{"revenue": 1}]}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert client.post(URL, {"conversions": []}, content_type="application/json").status_code == 401
    assert Conversion.objects.count() == 0


def test_batch_only_answers_post(api, organization):
    response = api.get(URL)
    assert response.status_code == 405
    assert response.json()["error"]["message"]


def test_batch_items_belong_to_the_key_organization(other_api, organization, other_organization):
    foreign_campaign = CampaignFactory(organization=organization)
    response = batch(other_api, [{"order_id": "X"}, {"campaign_id": str(foreign_campaign.pk)}])
    assert [result["status"] for result in response.json()["data"]] == ["created", "error"]
    assert Conversion.objects.get().organization == other_organization


def test_a_full_sized_batch_fits_in_one_request(api, organization):
    # 1000 conversions with long notes and metadata: ~3 MB, above Django's default 2.5 MB body limit.
    item = {"notes": "n" * 2000, "metadata": {f"key{index}": "v" * 40 for index in range(20)}}
    response = batch(api, [item] * 1000)
    assert response.status_code == 200
    assert response.json()["summary"]["created"] == 1000


def test_a_body_over_the_size_limit_is_413(api, organization, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = batch(api, [{"notes": "n" * 2000} for _ in range(10)])
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "validation_error"
    assert Conversion.objects.count() == 0


def test_batch_replays_a_repeated_item_that_spells_a_default_as_null(api, organization):
    item = {"order_id": "ORD-1", "revenue": 10, "revenue_without_tax": None, "currency": ""}
    assert batch(api, [item]).json()["summary"]["created"] == 1

    response = batch(api, [item])

    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 0, "duplicates": 1, "errors": 0}


def test_a_null_batch_item_is_an_error_of_its_own(api, organization):
    response = batch(api, [{"order_id": "ORD-1"}, None, {"order_id": "ORD-2"}])

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [result["status"] for result in body["data"]] == ["created", "error", "created"]
    assert body["data"][1]["error"]["type"] == "validation_error"
    assert body["summary"] == {"created": 2, "duplicates": 0, "errors": 1}
    assert Conversion.objects.count() == 2


def test_a_lone_surrogate_echoed_in_an_error_is_still_a_400_envelope(api, organization):
    response = api.post(URL, data='{"conversions": [], "\\ud800": 1}', content_type="application/json")

    assert_400_on(response, "\ud800")


def test_a_lone_surrogate_in_a_batch_item_is_that_item_s_error(api, organization):
    raw_body = '{"conversions": [{"\\ud800": 1}, {"order_id": "ORD-1"}]}'
    response = api.post(URL, data=raw_body, content_type="application/json")

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["data"]] == ["error", "created"]


def test_json_nested_too_deeply_to_parse_is_400(api, organization):
    depth = 100_000
    response = api.post(URL, data='{"metadata": ' + "[" * depth + "]" * depth + "}", content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["type"] == "validation_error"
    assert Conversion.objects.count() == 0
