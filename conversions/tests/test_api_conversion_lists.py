"""/api/v1/conversions/ lists: filters, search, ordering and facets (the CRUD contract: test_api_conversions.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory, TouchpointFactory
from core.tests.api_contract import assert_400_on, listed_ids

URL = "/api/v1/conversions/"


def test_conversion_filters(api, world):
    url = "/api/v1/conversions/"
    explicit, computed, uncredited = (str(world[name].pk) for name in ("explicit", "computed", "uncredited"))
    cases = {
        "contact_id": (str(world["jane"].pk), {explicit}),
        "type": ("signup", {computed}),
        "status": ("refunded", {uncredited}),
        "currency": ("usd", {computed}),
        "country": ("de", {computed}),
        "origin": ("website", {explicit}),
        "order_id": ("ORD-200", {computed}),
        "revenue_min": ("50", {explicit, uncredited}),
        "revenue_max": ("50.00", {computed, uncredited}),
        "converted_after": ((timezone.now() - timedelta(days=6)).isoformat(), {computed, uncredited}),
        "converted_before": ((timezone.now() - timedelta(days=6)).isoformat(), {explicit}),
    }
    for name, (value, expected) in cases.items():
        assert listed_ids(api.get(url, {name: value})) == expected, name
    assert listed_ids(api.get(url, {"type": "purchase", "status": "approved"})) == {explicit}
    assert listed_ids(api.get(url)) == {explicit, computed, uncredited}


def test_conversion_filters_by_attributed_campaign_and_delivery(api, world):
    url = "/api/v1/conversions/"
    # Explicit credit to a delivery counts for its campaign; computed credit counts too.
    assert listed_ids(api.get(url, {"campaign_id": str(world["campaign"].pk)})) == {str(world["explicit"].pk)}
    assert listed_ids(api.get(url, {"delivery_id": str(world["campaign_delivery"].pk)})) == {str(world["explicit"].pk)}
    assert listed_ids(api.get(url, {"delivery_id": str(world["lone_delivery"].pk)})) == {str(world["computed"].pk)}


def test_linear_credit_lists_a_conversion_once(api, organization):
    contact = ContactFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization)
    now = timezone.now()
    for hours in (1, 2, 3):
        TouchpointFactory(
            organization=organization, contact=contact, delivery=delivery, occurred_at=now - timedelta(hours=hours)
        )
    other = DeliveryFactory(organization=organization)
    TouchpointFactory(organization=organization, contact=contact, delivery=other, occurred_at=now - timedelta(hours=4))
    conversion, _ = conversion_create(organization=organization, contact=contact, attribution_model="linear")
    assert conversion.attributions.count() == 2
    response = api.get("/api/v1/conversions/", {"delivery_id": str(delivery.pk)})
    assert [row["id"] for row in response.json()["data"]] == [str(conversion.pk)]
    assert response.json()["pagination"]["total"] == 1


def test_conversion_reference_filters_refuse_other_organizations_and_unknown_ids(api, world, other_organization):
    url = "/api/v1/conversions/"
    foreign = {
        "contact_id": ContactFactory(organization=other_organization).pk,
        "campaign_id": CampaignFactory(organization=other_organization).pk,
        "delivery_id": DeliveryFactory(organization=other_organization).pk,
    }
    for name, pk in foreign.items():
        assert_400_on(api.get(url, {name: str(pk)}), name)
        assert_400_on(api.get(url, {name: "00000000-0000-0000-0000-000000000000"}), name)
        assert_400_on(api.get(url, {name: "not-a-uuid"}), name)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("type", "sale"),
        ("status", "lost"),
        ("converted_after", "yesterday"),
        ("converted_before", "2025-13-01T00:00:00Z"),
        ("revenue_min", "ten"),
        ("revenue_max", "1e"),
    ],
)
def test_conversion_filter_values_are_validated(api, organization, name, value):
    assert_400_on(api.get("/api/v1/conversions/", {name: value}), name)


def test_conversion_search(api, world):
    url = "/api/v1/conversions/"
    assert listed_ids(api.get(url, {"search": "ORD-2"})) == {str(world["computed"].pk)}
    assert listed_ids(api.get(url, {"search": "spring"})) == {str(world["explicit"].pk)}
    assert listed_ids(api.get(url, {"search": "JOHN@example"})) == {str(world["computed"].pk)}
    assert listed_ids(api.get(url, {"search": "nothing-like-this"})) == set()


def test_conversion_ordering(api, world):
    rows = api.get("/api/v1/conversions/", {"ordering": "-revenue"}).json()["data"]
    assert [row["revenue"] for row in rows] == [100.0, 50.0, 5.0]
    rows = api.get("/api/v1/conversions/", {"ordering": "currency,-converted_at"}).json()["data"]
    assert [row["currency"] for row in rows] == ["CZK", "EUR", "USD"]
    default = api.get("/api/v1/conversions/").json()["data"]
    assert [row["id"] for row in default] == [str(world[name].pk) for name in ("computed", "uncredited", "explicit")]


def test_conversion_facets_are_over_the_filtered_set(api, world):
    response = api.get("/api/v1/conversions/", {"facets": "type,status,currency,country,origin", "limit": 1})
    facets = response.json()["facets"]
    assert facets["type"] == {"purchase": 1, "signup": 1, "upgrade": 1}
    assert facets["currency"] == {"CZK": 1, "EUR": 1, "USD": 1}
    assert facets["country"] == {"CZ": 1, "DE": 1, "SK": 1}
    assert facets["origin"] == {"": 1, "app": 1, "website": 1}
    filtered = api.get("/api/v1/conversions/", {"facets": "status", "revenue_min": "10"}).json()
    assert filtered["facets"] == {"status": {"approved": 1, "refunded": 1}}
    assert filtered["pagination"]["total"] == 2
