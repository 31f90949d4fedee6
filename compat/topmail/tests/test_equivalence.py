"""A conversion created through the Topmail adapter is the very conversion /api/v1/ would have created from the
same data (read back through /api/v1/), and it counts in /reporting/v1/ as soon as the call returned.

Compat must not import reporting: the reports are read through their URLs, like a client would.
"""

from datetime import date
from decimal import Decimal

import pytest

from contacts.tests.factories import ContactFactory
from conversions.tests.factories import DeliveryFactory, ExchangeRateFactory

from .conftest import post, post_raw

pytestmark = pytest.mark.django_db

API_V1 = "/api/v1/conversions/"
SERVER_ASSIGNED = ("id", "created_at", "updated_at")


@pytest.fixture(autouse=True)
def usd_rate(db):
    """A USD rate for the conversions' days, so the reference amounts (EUR) are real numbers, not null."""
    return ExchangeRateFactory(currency="USD", date=date(2024, 12, 31), rate=Decimal("1.10"))


def read_through_api_v1(api, conversion_id: str) -> dict:
    response = api.get(f"{API_V1}{conversion_id}/")
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def without_server_assigned(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in SERVER_ASSIGNED}


def assert_same_as_direct(api, topmail_id: str, direct_payload: dict) -> dict:
    """Read the Topmail-made conversion through /api/v1/, delete it, create ``direct_payload`` through /api/v1/
    (same order id, same contact) and compare the two, minus what the server assigns."""
    through_topmail = read_through_api_v1(api, topmail_id)
    assert api.delete(f"{API_V1}{topmail_id}/").status_code == 204
    direct = api.post(API_V1, {**direct_payload, "converted_at": through_topmail["converted_at"]}, format="json")
    assert direct.status_code == 201, direct.json()
    through_api = read_through_api_v1(api, direct.json()["data"]["id"])
    assert without_server_assigned(through_topmail) == without_server_assigned(through_api)
    return through_topmail


def test_the_seed_example_is_the_same_conversion_as_through_api_v1(api, seed_create_body, summer_sale):
    created = post_raw(api, seed_create_body).json()["data"]

    stored = assert_same_as_direct(
        api,
        created["id"],
        {
            "email": "customer@example.com", "type": "purchase", "revenue": 149.99, "currency": "USD",
            "order_id": "order-789", "campaign_id": str(summer_sale.pk), "attribution_model": "last_touch",
            "attribution_window": 7, "metadata": {"product": "Premium Plan", "source": "checkout"},
        },
    )  # fmt: skip
    assert stored["attributions"][0]["campaign_id"] == str(summer_sale.pk)
    assert stored["reference_revenue"] is not None


def test_topmail_defaults_are_the_same_as_sending_them_to_api_v1(api, organization):
    organization.default_attribution_model = "first_touch"
    organization.save()
    created = post(api, {"email": "someone@example.com", "revenue": 10}).json()["data"]

    stored = assert_same_as_direct(
        api,
        created["id"],
        {
            "email": "someone@example.com", "revenue": 10, "type": "custom", "currency": "USD",
            "attribution_model": "last_touch", "attribution_window": 7,
        },
    )  # fmt: skip
    assert (stored["currency"], stored["attribution_model"]) == ("USD", "last_touch")


def test_a_flow_is_the_same_as_a_delivery_through_api_v1(api, organization, summer_sale):
    contact = ContactFactory(organization=organization)
    summer_flow = DeliveryFactory(organization=organization, campaign=summer_sale)
    created = post(
        api,
        {"contact_id": str(contact.pk), "flow_id": str(summer_flow.pk), "revenue": 20.5, "order_id": "F-1",
         "attribution_window": 90, "converted_at": "2025-01-15T14:30:00.000Z"},
    ).json()["data"]  # fmt: skip

    stored = assert_same_as_direct(
        api,
        created["id"],
        {"contact_id": str(contact.pk), "delivery_id": str(summer_flow.pk), "revenue": "20.50", "order_id": "F-1",
         "currency": "USD", "attribution_window": 90},
    )  # fmt: skip
    assert stored["delivery_id"] == str(summer_flow.pk)
    assert stored["attributions"][0]["campaign_id"] == str(summer_sale.pk)


def totals(api, day: str) -> dict:
    response = api.get("/reporting/v1/conversions/totals", {"dateFrom": day, "dateTo": day})
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_topmail_conversion_counts_in_the_reports_at_once(api, seed_create_body, summer_sale):
    body = seed_create_body.replace('"email"', '"converted_at": "2025-01-15T14:30:00.000Z","email"')
    before = totals(api, "2025-01-15")
    assert before["conversions"]["conversionsNumber"] == 0

    created = post_raw(api, body)
    assert created.status_code == 201, created.json()
    after = totals(api, "2025-01-15")

    assert after["uniqueContacts"] == 1
    assert after["conversions"]["conversionsNumber"] == 1
    assert after["conversions"]["conversionsAmountWTax"] == 136.35  # 149.99 USD at 1.10 per EUR
    [usd] = after["conversions"]["breakdown"]
    assert (usd["currency"], usd["conversionsAmountWTax"], usd["conversionsNumber"]) == ("USD", 149.99, 1)
    campaign_rows = api.get(
        f"/reporting/v1/campaigns/{summer_sale.pk}/conversions", {"dateFrom": "2025-01-15", "dateTo": "2025-01-15"}
    ).json()["conversions"]
    assert [row["conversionId"] for row in campaign_rows] == [created.json()["data"]["id"]]
    assert campaign_rows[0]["orderId"] == "order-789"
