"""/api/v1/conversions/: the shared API contract (core/tests/api_contract.py), then POST/PUT/PATCH with every limit
just inside and just outside, defaults, time zones, references across organizations, deduplication, filters,
search, ordering, facets and the error envelope. The batch route: test_api_batch.py."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from conversions.models import Conversion
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory
from core.tests.api_contract import TenantResourceContract, assert_400_on, assert_envelope

URL = "/api/v1/conversions/"
BATCH_URL = "/api/v1/conversions/batch/"


class TestConversionsAPI(TenantResourceContract):
    path = URL
    model = Conversion
    patch = {"status": "refunded"}
    ordering = "converted_at"
    facet = "status"
    not_echoed = ("revenue",)
    datetime_filters = ("converted_after", "converted_before", "created_after", "created_before")

    def make(self, organization):
        return conversion_create(organization=organization, revenue="10.00", converted_at=timezone.now())[0]

    def create_body(self, organization):
        return {"revenue": "10.50", "order_id": "A-1", "type": "purchase"}

    def put_body(self, organization):
        return {"revenue": 12.5, "type": "upgrade", "order_id": "A-2"}


def post(api, body):
    return api.post(URL, body, format="json")


def metadata_with_keys(count: int) -> dict:
    return {f"key{index}": index for index in range(count)}


INSIDE_AND_OUTSIDE = [
    # (body, field named in the 400 or None when it must be stored)
    ({"count": 1}, None),
    ({"count": 1_000_000}, None),
    ({"count": 0}, "count"),
    ({"count": 1_000_001}, "count"),
    ({"count": 1.5}, "count"),
    ({"revenue": "10.12"}, None),
    ({"revenue": 10.12}, None),
    ({"revenue": "10.123"}, "revenue"),
    ({"revenue": 10.123}, "revenue"),
    ({"revenue": 0}, None),
    ({"revenue": -0.01}, "revenue"),
    ({"revenue": "abc"}, "revenue"),
    ({"revenue": True}, "revenue"),
    ({"revenue": "999999999999.99"}, None),
    ({"revenue": "1000000000000.00"}, "revenue"),
    ({"revenue": 10, "revenue_without_tax": 10}, None),
    ({"revenue": 10, "revenue_without_tax": "10.01"}, "revenue_without_tax"),
    ({"revenue_without_tax": -1}, "revenue_without_tax"),
    ({"payout": "0.00"}, None),
    ({"payout": -1}, "payout"),
    ({"payout": "1.001"}, "payout"),
    ({"currency": "usd"}, None),
    ({"currency": "CZK"}, None),
    ({"currency": "ABC"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"country": "de"}, None),
    ({"country": "ZZ"}, "country"),
    ({"country": "DEU"}, "country"),
    ({"type": "purchase"}, None),
    ({"type": "sale"}, "type"),
    ({"status": "refunded"}, None),
    ({"status": "lost"}, "status"),
    ({"attribution_model": "linear"}, None),
    ({"attribution_model": "first_touch"}, None),
    ({"attribution_model": "time_decay"}, None),
    ({"attribution_model": "position_based"}, None),
    ({"attribution_model": "u_shaped"}, "attribution_model"),
    ({"attribution_window": 1}, None),
    ({"attribution_window": 90}, None),
    ({"attribution_window": 0}, "attribution_window"),
    ({"attribution_window": 91}, "attribution_window"),
    ({"metadata": metadata_with_keys(50)}, None),
    ({"metadata": metadata_with_keys(51)}, "metadata"),
    ({"metadata": {"k" * 64: 1}}, None),
    ({"metadata": {"k" * 65: 1}}, "metadata"),
    ({"metadata": {"": 1}}, "metadata"),
    ({"metadata": {"text": "v" * 500}}, None),
    ({"metadata": {"text": "v" * 501}}, "metadata"),
    ({"metadata": {"s": "x", "n": 1.5, "b": True, "z": None}}, None),
    ({"metadata": {"nested": {"a": 1}}}, "metadata"),
    ({"metadata": {"list": [1, 2]}}, "metadata"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
    ({"order_id": "o" * 255}, None),
    ({"order_id": "o" * 256}, "order_id"),
    ({"origin": "w" * 50}, None),
    ({"origin": "w" * 51}, "origin"),
    ({"coupon_code": "c" * 100}, None),
    ({"coupon_code": "c" * 101}, "coupon_code"),
    ({"notes": "n" * 2000}, None),
    ({"notes": "n" * 2001}, "notes"),
    ({"timezone": "America/New_York", "converted_at": "2025-01-15T09:30:00"}, None),
    ({"timezone": "Mars/Olympus_Mons", "converted_at": "2025-01-15T09:30:00"}, "timezone"),
    ({"converted_at": "yesterday"}, "converted_at"),
    ({"email": "not-an-email"}, "email"),
    ({"contact_id": "not-a-uuid"}, "contact_id"),
    ({"contact_id": "00000000-0000-0000-0000-000000000000"}, "contact_id"),
    ({"campaign_id": "00000000-0000-0000-0000-000000000000"}, "campaign_id"),
    ({"delivery_id": "00000000-0000-0000-0000-000000000000"}, "delivery_id"),
]


@pytest.mark.parametrize(("body", "bad_field"), INSIDE_AND_OUTSIDE, ids=lambda value: str(value)[:60])
def test_limits(api, organization, body, bad_field):
    response = post(api, {"email": "limit@example.com", **body})
    if bad_field is None:
        assert response.status_code == 201, response.json()
        assert Conversion.objects.count() == 1
        return
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert bad_field in error["fields"], error
    # A bad request stores nothing: not the conversion, not the contact its e-mail would have created.
    assert Conversion.objects.count() == 0
    assert Contact.objects.count() == 0


def test_converted_at_up_to_five_minutes_in_the_future(api, organization):
    soon = (timezone.now() + timedelta(minutes=4)).isoformat()
    assert post(api, {"converted_at": soon, "email": "a@example.com"}).status_code == 201
    too_late = (timezone.now() + timedelta(minutes=6)).isoformat()
    response = post(api, {"converted_at": too_late, "email": "b@example.com"})
    assert response.status_code == 400
    assert "converted_at" in response.json()["error"]["fields"]
    assert Conversion.objects.count() == 1
    assert not Contact.objects.filter(email="b@example.com").exists()


OUT_OF_RANGE_TIMES = [
    "0001-01-01T00:00:00",  # naive, read in Europe/Prague: before year 1 in UTC
    "0001-01-01T00:30:00+01:00",  # with an offset: before year 1 in UTC
    "0001-01-03T00:00:00Z",  # its attribution window starts before year 1
]


@pytest.mark.parametrize("converted_at", OUT_OF_RANGE_TIMES)
def test_converted_at_out_of_range_is_400_on_create_update_and_batch(api, organization, converted_at):
    contact = ContactFactory(organization=organization)
    assert_400_on(post(api, {"converted_at": converted_at, "contact_id": str(contact.pk)}), "converted_at")
    assert Conversion.objects.count() == 0

    stored = post(api, {"revenue": 1}).json()["data"]
    response = api.patch(f"{URL}{stored['id']}/", {"converted_at": converted_at}, format="json")
    assert_400_on(response, "converted_at")
    assert Conversion.objects.get().converted_at.year > 1

    batch = api.post(BATCH_URL, {"conversions": [{"converted_at": converted_at}]}, format="json")
    assert batch.status_code == 200
    assert batch.json()["data"][0]["status"] == "error"
    assert "converted_at" in batch.json()["data"][0]["error"]["fields"]
    assert Conversion.objects.count() == 1


@pytest.mark.parametrize(
    "raw_metadata",
    ['{"note": "a\\u0000b"}', '{"a\\u0000": "b"}', '{"note": "\\ud800"}', '{"\\udfff": 1}'],
    ids=["NUL in a value", "NUL in a key", "lone surrogate in a value", "lone surrogate in a key"],
)
def test_metadata_with_nul_or_lone_surrogates_is_400(api, organization, raw_metadata):
    # PostgreSQL's jsonb refuses them: a 400, never a 500.
    response = api.post(URL, data=f'{{"metadata": {raw_metadata}}}', content_type="application/json")
    assert_400_on(response, "metadata")
    assert Conversion.objects.count() == 0


@pytest.mark.parametrize(
    ("raw_body", "field"), [('{"type": "\\ud800"}', "type"), ('{"currency": "\\udfff"}', "currency")]
)
def test_a_lone_surrogate_echoed_in_an_error_is_still_a_400_envelope(api, organization, raw_body, field):
    response = api.post(URL, data=raw_body, content_type="application/json")

    assert_400_on(response, field)


def test_money_is_exact_and_rendered_as_numbers(api, organization):
    response = post(api, {"revenue": 149.99, "revenue_without_tax": "123.96", "payout": 0.1, "currency": "EUR"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["revenue"] == 149.99 and data["revenue_without_tax"] == 123.96 and data["payout"] == 0.1
    stored = Conversion.objects.get()
    assert stored.revenue == Decimal("149.99")
    assert stored.revenue_without_tax == Decimal("123.96")
    assert stored.payout == Decimal("0.10")
    assert data["reference_revenue"] == 149.99 and data["reference_currency"] == "EUR"


def test_defaults(api, organization):
    contact = ContactFactory(organization=organization, country="SK")
    before = timezone.now()
    response = post(api, {"contact_id": str(contact.pk)})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["type"] == "custom"
    assert data["status"] == "approved"
    assert data["count"] == 1
    assert data["revenue"] == 0 and data["revenue_without_tax"] == 0 and data["payout"] is None
    assert data["currency"] == "EUR"  # the organization's reference currency
    assert data["country"] == "SK"  # the contact's
    assert data["attribution_model"] == "last_touch" and data["attribution_window"] == 7
    assert data["metadata"] == {} and data["attributions"] == []
    assert before <= datetime.fromisoformat(data["converted_at"]) <= timezone.now()
    assert "email" not in data and "timezone" not in data


def test_revenue_without_tax_defaults_to_revenue(api, organization):
    data = post(api, {"revenue": "80.00"}).json()["data"]
    assert data["revenue_without_tax"] == 80.0


def test_unpriced_currency_has_null_reference_amounts(api, organization):
    data = post(api, {"revenue": "10.00", "currency": "USD"}).json()["data"]
    assert data["reference_revenue"] is None and data["reference_revenue_without_tax"] is None
    assert data["reference_currency"] == "EUR"


def test_read_only_fields_are_ignored_not_stored(api, organization):
    response = post(api, {"revenue": "5.00", "reference_revenue": "999.00", "attributions": []})
    assert response.status_code == 201
    assert response.json()["data"]["reference_revenue"] == 5.0


def test_naive_time_is_read_in_the_organization_zone(api, organization):
    # Acme's zone is Europe/Prague: 14:30 in January there is 13:30 UTC.
    data = post(api, {"converted_at": "2025-01-15T14:30:00"}).json()["data"]
    assert data["converted_at"] == "2025-01-15T13:30:00Z"
    assert Conversion.objects.get().converted_date.isoformat() == "2025-01-15"


def test_naive_time_is_read_in_the_payload_zone(api, organization):
    data = post(api, {"converted_at": "2025-01-15T23:30:00", "timezone": "America/New_York"}).json()["data"]
    assert data["converted_at"] == "2025-01-16T04:30:00Z"
    # The report day is the organization's (Prague: 05:30 on the 16th).
    assert Conversion.objects.get().converted_date.isoformat() == "2025-01-16"


def test_time_with_offset_keeps_its_offset_whatever_the_zones(api, organization):
    data = post(api, {"converted_at": "2025-01-15T14:30:00+05:00", "timezone": "America/New_York"}).json()["data"]
    assert data["converted_at"] == "2025-01-15T09:30:00Z"
    assert Conversion.objects.get().converted_at == datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


def test_email_finds_or_creates_the_contact_case_insensitively(api, organization):
    existing = ContactFactory(organization=organization, email="jane@example.com")
    data = post(api, {"email": "Jane@Example.COM"}).json()["data"]
    assert data["contact_id"] == str(existing.pk)
    created = post(api, {"email": "New@Example.com"}).json()["data"]
    assert Contact.objects.get(pk=created["contact_id"]).email == "new@example.com"


def test_email_and_contact_id_must_agree(api, organization):
    contact = ContactFactory(organization=organization, email="jane@example.com")
    agreeing = post(api, {"email": "JANE@example.com", "contact_id": str(contact.pk)})
    assert agreeing.status_code == 201
    disagreeing = post(api, {"email": "john@example.com", "contact_id": str(contact.pk)})
    assert disagreeing.status_code == 400
    assert "email" in disagreeing.json()["error"]["fields"]
    assert Conversion.objects.count() == 1
    assert not Contact.objects.filter(email="john@example.com").exists()


def test_references_to_another_organization_are_400(api, organization, other_organization):
    foreign = {
        "contact_id": ContactFactory(organization=other_organization).pk,
        "campaign_id": CampaignFactory(organization=other_organization).pk,
        "delivery_id": DeliveryFactory(organization=other_organization).pk,
    }
    for name, pk in foreign.items():
        response = post(api, {name: str(pk)})
        assert response.status_code == 400
        assert name in response.json()["error"]["fields"]
    assert Conversion.objects.count() == 0


def test_explicit_attribution_and_delivery_credit_counts_for_its_campaign(api, organization):
    campaign = CampaignFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization, campaign=campaign)
    data = post(api, {"revenue": "30.00", "delivery_id": str(delivery.pk)}).json()["data"]
    assert data["delivery_id"] == str(delivery.pk) and data["campaign_id"] is None
    assert data["attributions"] == [
        {
            "campaign_id": str(campaign.pk),
            "delivery_id": str(delivery.pk),
            "weight": 1.0,
            "revenue": 30.0,
            "reference_revenue": 30.0,
        }
    ]


def test_delivery_of_another_campaign_is_400(api, organization):
    delivery = DeliveryFactory(organization=organization, campaign=CampaignFactory(organization=organization))
    other_campaign = CampaignFactory(organization=organization)
    response = post(api, {"delivery_id": str(delivery.pk), "campaign_id": str(other_campaign.pk)})
    assert response.status_code == 400
    assert "delivery_id" in response.json()["error"]["fields"]


def test_touchpoint_credit_is_in_the_create_response(api, organization):
    contact = ContactFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization)
    touched_at = timezone.now() - timedelta(hours=2)
    api.post(
        "/api/v1/touchpoints/",
        {
            "contact_id": str(contact.pk),
            "delivery_id": str(delivery.pk),
            "kind": "click",
            "occurred_at": touched_at.isoformat(),
        },
        format="json",
    )
    data = post(api, {"contact_id": str(contact.pk), "revenue": "12.00"}).json()["data"]
    assert [(row["delivery_id"], row["weight"], row["revenue"]) for row in data["attributions"]] == [
        (str(delivery.pk), 1.0, 12.0)
    ]


# --- Deduplication ------------------------------------------------------------------------------------------------


def test_identical_repeat_is_a_replay(api, organization):
    body = {"order_id": "ORD-1", "email": "jane@example.com", "revenue": 149.99, "currency": "eur"}
    first = post(api, body)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = post(api, body)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Conversion.objects.count() == 1


@pytest.mark.parametrize("wall_clock", ["2025-11-02T01:30:00", "2025-03-09T02:30:00", "2025-06-01T12:00:00"])
def test_a_wall_clock_time_in_a_dst_fold_or_gap_replays_too(api, organization, wall_clock):
    """01:30 happens twice in New York on 2025-11-02 and 02:30 not at all on 2025-03-09: such a time is read once
    (first occurrence / offset before the change) and its repeat is a replay, not a conflict."""
    body = {"order_id": "DST-1", "converted_at": wall_clock, "timezone": "America/New_York"}
    assert post(api, body).status_code == 201
    again = post(api, body)
    assert again.status_code == 200, again.json()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_differing_repeat_is_a_conflict_naming_the_existing_id(api, organization):
    first = post(api, {"order_id": "ORD-1", "revenue": "10.00"}).json()["data"]
    response = post(api, {"order_id": "ORD-1", "revenue": "11.00"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "conflict"
    assert error["existing_id"] == first["id"]
    assert Conversion.objects.get().revenue == Decimal("10.00")


def test_changing_order_id_to_an_existing_one_is_a_conflict(api, organization):
    first, _ = conversion_create(organization=organization, order_id="A")
    second, _ = conversion_create(organization=organization, order_id="B")
    for method in (api.patch, api.put):
        response = method(f"{URL}{second.pk}/", {"order_id": "A"}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["existing_id"] == str(first.pk)
    second.refresh_from_db()
    assert second.order_id == "B"


def test_the_same_order_id_in_another_organization_is_independent(api, other_api, organization):
    assert post(api, {"order_id": "SHARED", "revenue": "1.00"}).status_code == 201
    assert post(other_api, {"order_id": "SHARED", "revenue": "2.00"}).status_code == 201
    assert Conversion.objects.count() == 2


# The same payload POSTed twice is a replay (200), also when it spells a default as ``null`` or ``""``.
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


# --- Updates ------------------------------------------------------------------------------------------------------


def test_patch_re_attributes_and_revalues(api, organization):
    campaign = CampaignFactory(organization=organization)
    conversion, _ = conversion_create(organization=organization, revenue=Decimal("20.00"))
    response = api.patch(f"{URL}{conversion.pk}/", {"campaign_id": str(campaign.pk), "revenue": "25.00"}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["revenue"] == 25.0 and data["revenue_without_tax"] == 25.0
    assert data["attributions"][0]["campaign_id"] == str(campaign.pk)
    assert data["attributions"][0]["revenue"] == 25.0


def test_patch_limits_store_nothing(api, organization):
    conversion, _ = conversion_create(organization=organization, revenue=Decimal("20.00"))
    for body in ({"revenue": "1.001"}, {"count": 0}, {"revenue_without_tax": "20.01"}, {"colour": "red"}):
        response = api.patch(f"{URL}{conversion.pk}/", body, format="json")
        assert response.status_code == 400
    conversion.refresh_from_db()
    assert conversion.revenue == Decimal("20.00") and conversion.count == 1


def test_patch_naive_time_uses_the_payload_zone(api, organization):
    conversion, _ = conversion_create(organization=organization)
    response = api.patch(
        f"{URL}{conversion.pk}/", {"converted_at": "2025-06-01T12:00:00", "timezone": "Asia/Tokyo"}, format="json"
    )
    assert response.json()["data"]["converted_at"] == "2025-06-01T03:00:00Z"


def test_deleting_a_contact_keeps_its_conversions(api, organization):
    data = post(api, {"email": "gone@example.com", "revenue": "9.00"}).json()["data"]
    assert api.delete(f"/api/v1/contacts/{data['contact_id']}/").status_code == 204
    kept = api.get(f"{URL}{data['id']}/").json()["data"]
    assert kept["contact_id"] is None and kept["revenue"] == 9.0


# --- Errors in the envelope -----------------------------------------------------------------------------------------


def test_an_empty_body_is_a_400_but_an_empty_object_is_a_conversion_of_defaults(api, organization):
    response = api.post(URL, "", content_type="application/json")
    assert assert_envelope(response, 400, "validation_error")["message"].startswith("A JSON object is required")
    assert Conversion.objects.count() == 0
    # Nothing required is missing for a conversion.
    assert api.post(URL, "{}", content_type="application/json").status_code == 201
    assert Conversion.objects.count() == 1


def test_500_is_an_envelope_without_internals(api, organization, monkeypatch):
    from conversions.api.views import ConversionViewSet
    from core.services import ServiceSet

    def explode(**fields):
        raise RuntimeError("boom")

    monkeypatch.setattr(ConversionViewSet, "services", ServiceSet(create=explode))
    response = api.post(URL, {"revenue": "1.00"}, format="json")
    error = assert_envelope(response, 500, "server_error")
    assert "boom" not in error["message"]
    assert Conversion.objects.count() == 0


def test_validation_errors_name_every_bad_field(api, organization):
    response = api.post(URL, {"count": 0, "revenue": "x", "colour": 1}, format="json")
    error = assert_envelope(response, 400, "validation_error")
    assert set(error["fields"]) == {"colour"}  # unknown fields are refused before anything else
    response = api.post(URL, {"count": 0, "revenue": "x"}, format="json")
    error = assert_envelope(response, 400, "validation_error")
    assert set(error["fields"]) == {"count", "revenue"}
    assert "count" in error["message"] and "revenue" in error["message"]
