"""Every list filter, search and facet of campaigns, deliveries, touchpoints, conversions and exchange rates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.models import ExchangeRate
from conversions.services import conversion_create, touchpoint_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory, TouchpointFactory


def ids(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["data"]}


def assert_400(response, name):
    assert response.status_code == 400, response.json()
    assert name in response.json()["error"]["fields"]


# --- Conversions --------------------------------------------------------------------------------------------------


@pytest.fixture
def world(organization):
    """Two contacts, a campaign with a delivery, a lone delivery, and conversions that differ in every filter."""
    now = timezone.now()
    jane = ContactFactory(organization=organization, email="jane@example.com", country="CZ")
    john = ContactFactory(organization=organization, email="john@example.com", country="DE")
    campaign = CampaignFactory(organization=organization)
    campaign_delivery = DeliveryFactory(organization=organization, campaign=campaign)
    lone_delivery = DeliveryFactory(organization=organization)
    touchpoint_create(
        organization=organization,
        contact=john,
        delivery=lone_delivery,
        kind="click",
        occurred_at=now - timedelta(days=3),
    )

    def make(**fields):
        return conversion_create(organization=organization, **fields)[0]

    return {
        "jane": jane,
        "john": john,
        "campaign": campaign,
        "campaign_delivery": campaign_delivery,
        "lone_delivery": lone_delivery,
        # explicit credit to a delivery of the campaign
        "explicit": make(
            contact=jane, delivery=campaign_delivery, type="purchase", status="approved", revenue=Decimal("100.00"),
            currency="EUR", origin="website", order_id="ORD-100", coupon_code="SPRING",
            converted_at=now - timedelta(days=10),
        ),
        # computed credit (john clicked the lone delivery 3 days earlier)
        "computed": make(
            contact=john, type="signup", status="pending", revenue=Decimal("5.00"), currency="USD", origin="app",
            order_id="ORD-200", converted_at=now - timedelta(days=1),
        ),
        # no credit at all
        "uncredited": make(
            type="upgrade", status="refunded", revenue=Decimal("50.00"), currency="CZK", country="SK",
            converted_at=now - timedelta(days=5),
        ),
    }  # fmt: skip


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
        assert ids(api.get(url, {name: value})) == expected, name
    assert ids(api.get(url, {"type": "purchase", "status": "approved"})) == {explicit}
    assert ids(api.get(url)) == {explicit, computed, uncredited}


def test_conversion_filters_by_attributed_campaign_and_delivery(api, world):
    url = "/api/v1/conversions/"
    # Explicit credit to a delivery counts for its campaign; computed credit counts too.
    assert ids(api.get(url, {"campaign_id": str(world["campaign"].pk)})) == {str(world["explicit"].pk)}
    assert ids(api.get(url, {"delivery_id": str(world["campaign_delivery"].pk)})) == {str(world["explicit"].pk)}
    assert ids(api.get(url, {"delivery_id": str(world["lone_delivery"].pk)})) == {str(world["computed"].pk)}


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
        assert_400(api.get(url, {name: str(pk)}), name)
        assert_400(api.get(url, {name: "00000000-0000-0000-0000-000000000000"}), name)
        assert_400(api.get(url, {name: "not-a-uuid"}), name)


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
    assert_400(api.get("/api/v1/conversions/", {name: value}), name)


def test_conversion_search(api, world):
    url = "/api/v1/conversions/"
    assert ids(api.get(url, {"search": "ORD-2"})) == {str(world["computed"].pk)}
    assert ids(api.get(url, {"search": "spring"})) == {str(world["explicit"].pk)}
    assert ids(api.get(url, {"search": "JOHN@example"})) == {str(world["computed"].pk)}
    assert ids(api.get(url, {"search": "nothing-like-this"})) == set()


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


# --- Campaigns and deliveries ------------------------------------------------------------------------------------


def test_campaign_filters_search_and_facets(api, organization):
    sent = CampaignFactory(
        organization=organization, name="Spring sale", status="sent", language="en", sent_at=timezone.now()
    )
    draft = CampaignFactory(organization=organization, name="Autumn news", status="draft", language="cs")
    url = "/api/v1/campaigns/"
    assert ids(api.get(url, {"status": "draft"})) == {str(draft.pk)}
    assert ids(api.get(url, {"language": "EN"})) == {str(sent.pk)}
    assert ids(api.get(url, {"search": "spring"})) == {str(sent.pk)}
    assert ids(api.get(url, {"sent_after": (timezone.now() - timedelta(hours=1)).isoformat()})) == {str(sent.pk)}
    assert ids(api.get(url, {"created_before": (timezone.now() - timedelta(days=1)).isoformat()})) == set()
    assert api.get(url, {"facets": "status,language"}).json()["facets"] == {
        "status": {"draft": 1, "sent": 1},
        "language": {"cs": 1, "en": 1},
    }
    assert_400(api.get(url, {"status": "lost"}), "status")


def test_campaign_requires_a_name_and_checks_language(api, organization):
    assert_400(api.post("/api/v1/campaigns/", {"status": "draft"}, format="json"), "name")
    assert_400(api.post("/api/v1/campaigns/", {"name": "x", "language": "xx"}, format="json"), "language")
    assert_400(api.post("/api/v1/campaigns/", {"name": "x", "status": "live"}, format="json"), "status")
    assert_400(api.post("/api/v1/campaigns/", {"name": "n" * 256}, format="json"), "name")
    assert api.post("/api/v1/campaigns/", {"name": "n" * 255}, format="json").status_code == 201


def test_delivery_filters_search_and_facets(api, organization, other_organization):
    campaign = CampaignFactory(organization=organization)
    welcome = DeliveryFactory(organization=organization, name="Welcome flow", kind="smartflow", language="cs")
    send = DeliveryFactory(
        organization=organization, name="Newsletter", kind="campaign", campaign=campaign, language="en"
    )
    url = "/api/v1/deliveries/"
    assert ids(api.get(url, {"kind": "campaign"})) == {str(send.pk)}
    assert ids(api.get(url, {"campaign_id": str(campaign.pk)})) == {str(send.pk)}
    assert ids(api.get(url, {"language": "cs"})) == {str(welcome.pk)}
    assert ids(api.get(url, {"search": "welcome"})) == {str(welcome.pk)}
    assert api.get(url, {"facets": "kind,campaign_id"}).json()["facets"] == {
        "kind": {"campaign": 1, "smartflow": 1},
        "campaign_id": {str(campaign.pk): 1, "": 1},
    }
    assert_400(api.get(url, {"campaign_id": str(CampaignFactory(organization=other_organization).pk)}), "campaign_id")
    assert_400(api.get(url, {"kind": "flow"}), "kind")


def test_delivery_campaign_of_another_organization_is_400(api, organization, other_organization):
    foreign = CampaignFactory(organization=other_organization)
    response = api.post("/api/v1/deliveries/", {"name": "x", "campaign_id": str(foreign.pk)}, format="json")
    assert_400(response, "campaign_id")


# --- Touchpoints -------------------------------------------------------------------------------------------------


def test_touchpoint_filters(api, organization):
    now = timezone.now()
    jane, john = ContactFactory(organization=organization), ContactFactory(organization=organization)
    campaign = CampaignFactory(organization=organization)
    campaign_delivery = DeliveryFactory(organization=organization, campaign=campaign)
    lone = DeliveryFactory(organization=organization)
    on_campaign = TouchpointFactory(
        organization=organization, contact=jane, campaign=campaign, kind="open", occurred_at=now - timedelta(days=2)
    )
    on_its_delivery = TouchpointFactory(
        organization=organization,
        contact=jane,
        delivery=campaign_delivery,
        kind="click",
        occurred_at=now - timedelta(days=1),
    )
    on_lone = TouchpointFactory(
        organization=organization, contact=john, delivery=lone, kind="delivered", occurred_at=now - timedelta(hours=1)
    )
    url = "/api/v1/touchpoints/"
    assert ids(api.get(url, {"contact_id": str(john.pk)})) == {str(on_lone.pk)}
    assert ids(api.get(url, {"campaign_id": str(campaign.pk)})) == {str(on_campaign.pk), str(on_its_delivery.pk)}
    assert ids(api.get(url, {"delivery_id": str(lone.pk)})) == {str(on_lone.pk)}
    assert ids(api.get(url, {"kind": "open"})) == {str(on_campaign.pk)}
    boundary = (now - timedelta(days=1, hours=12)).isoformat()
    assert ids(api.get(url, {"occurred_after": boundary})) == {str(on_its_delivery.pk), str(on_lone.pk)}
    assert ids(api.get(url, {"occurred_before": boundary})) == {str(on_campaign.pk)}
    assert_400(api.get(url, {"kind": "bounce"}), "kind")
    assert_400(api.get(url, {"contact_id": "00000000-0000-0000-0000-000000000000"}), "contact_id")


def test_touchpoint_needs_a_contact_and_a_target(api, organization, other_organization):
    contact = ContactFactory(organization=organization)
    now = timezone.now().isoformat()
    url = "/api/v1/touchpoints/"
    assert_400(
        api.post(url, {"contact_id": str(contact.pk), "kind": "open", "occurred_at": now}, format="json"), "campaign_id"
    )
    campaign = CampaignFactory(organization=organization)
    assert_400(
        api.post(url, {"campaign_id": str(campaign.pk), "kind": "open", "occurred_at": now}, format="json"),
        "contact_id",
    )
    foreign_contact = ContactFactory(organization=other_organization)
    body = {"contact_id": str(foreign_contact.pk), "campaign_id": str(campaign.pk), "kind": "open", "occurred_at": now}
    assert_400(api.post(url, body, format="json"), "contact_id")


def test_late_touchpoint_re_attributes_an_existing_conversion(api, organization, django_capture_on_commit_callbacks):
    contact = ContactFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization)
    conversion, _ = conversion_create(organization=organization, contact=contact, revenue=Decimal("40.00"))
    assert api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]["attributions"] == []
    body = {
        "contact_id": str(contact.pk),
        "delivery_id": str(delivery.pk),
        "kind": "click",
        "occurred_at": (conversion.converted_at - timedelta(hours=1)).isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/touchpoints/", body, format="json").status_code == 201
    # Tests run Celery eagerly: the background re-attribution ran when the request's transaction committed.
    credit = api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]["attributions"]
    assert [(row["delivery_id"], row["revenue"]) for row in credit] == [(str(delivery.pk), 40.0)]


# --- Exchange rates ----------------------------------------------------------------------------------------------


@pytest.fixture
def rates(db):
    return [
        ExchangeRate.objects.create(currency="USD", date=date(2025, 1, 2), rate=Decimal("1.03")),
        ExchangeRate.objects.create(currency="USD", date=date(2025, 1, 3), rate=Decimal("1.04")),
        ExchangeRate.objects.create(currency="CZK", date=date(2025, 1, 3), rate=Decimal("25.1")),
    ]


def test_exchange_rates_are_readable_by_every_key(api, read_only_api, other_api, rates):
    for client in (api, read_only_api, other_api):
        response = client.get("/api/v1/exchange-rates/")
        assert response.status_code == 200
        assert response.json()["pagination"]["total"] == 3
    detail = api.get(f"/api/v1/exchange-rates/{rates[0].pk}/").json()["data"]
    assert detail == {
        "id": str(rates[0].pk),
        "date": "2025-01-02",
        "currency": "USD",
        "rate": 1.03,
        "created_at": detail["created_at"],
        "updated_at": detail["updated_at"],
    }


def test_exchange_rate_writes_are_403_for_every_key(api, read_only_api, rates):
    detail = f"/api/v1/exchange-rates/{rates[0].pk}/"
    body = {"currency": "GBP", "date": "2025-01-02", "rate": "0.85"}
    for client in (api, read_only_api):
        for response in (
            client.post("/api/v1/exchange-rates/", body, format="json"),
            client.put(detail, body, format="json"),
            client.patch(detail, {"rate": "2"}, format="json"),
            client.delete(detail),
        ):
            assert response.status_code == 403
            assert response.json()["error"]["type"] == "permission_error"
    assert ExchangeRate.objects.count() == 3
    assert ExchangeRate.objects.get(pk=rates[0].pk).rate == Decimal("1.03")


def test_exchange_rate_filters(api, rates):
    url = "/api/v1/exchange-rates/"
    assert ids(api.get(url, {"currency": "usd"})) == {str(rates[0].pk), str(rates[1].pk)}
    assert ids(api.get(url, {"date": "2025-01-03"})) == {str(rates[1].pk), str(rates[2].pk)}
    assert ids(api.get(url, {"date_after": "2025-01-03", "currency": "USD"})) == {str(rates[1].pk)}
    assert ids(api.get(url, {"date_before": "2025-01-02"})) == {str(rates[0].pk)}
    rows = api.get(url, {"ordering": "rate"}).json()["data"]
    assert [row["rate"] for row in rows] == [1.03, 1.04, 25.1]
    assert api.get(url, {"facets": "currency"}).json()["facets"] == {"currency": {"USD": 2, "CZK": 1}}
    assert_400(api.get(url, {"date": "someday"}), "date")
    assert api.get(f"{url}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_exchange_rates_need_a_key(client, rates):
    response = client.get("/api/v1/exchange-rates/")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
