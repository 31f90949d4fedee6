"""POST /compat/everflow/v1/networks/conversions/reporting: the seed's example byte for byte, every field and limit
of Everflow's body at its edges, authentication and tenancy, deduplication through ``order_id``."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services import api_key_create, api_key_revoke
from contacts.models import Contact
from conversions.models import Conversion
from conversions.tests.factories import CampaignFactory, DeliveryFactory

from .conftest import URL, body, everflow_client

# The seed's request body (004: "Create Conversions without Transaction IDs"), exactly as its curl sends it:
# the text between --data ' and ', newlines and indentation included.
SEED_BODY = b"""
{
  "is_now": true,
  "offer_id": 33,
  "affiliate_id": 39,
  "timezone_id": 90,
  "event_id": 0,
  "number_of_conversions": 2,
  "order_id": "321312"
}
"""


def post(client, payload):
    return client.post(URL, payload, format="json")


def assert_400_on(response, field):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert field in error["fields"], error
    return error["fields"][field]


def stored(organization):
    return Conversion.objects.for_organization(organization)


# --- The seed's own example ---------------------------------------------------------------------------------------


def test_the_seed_example_byte_for_byte_records_one_conversion_of_count_two(everflow, organization, offer, affiliate):
    before = timezone.now()
    response = everflow.post(URL, SEED_BODY, content_type="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"result": True}
    assert "Idempotent-Replayed" not in response
    conversion = stored(organization).get()
    assert conversion.count == 2
    assert conversion.order_id == "321312"
    assert conversion.type == Conversion.Type.PURCHASE
    assert (conversion.campaign, conversion.delivery) == (offer, affiliate)
    assert conversion.revenue == Decimal("0.00") and conversion.payout is None
    assert conversion.currency == organization.reference_currency == "EUR"
    assert before <= conversion.converted_at <= timezone.now()
    assert conversion.metadata == {}
    assert [(a.campaign_id, a.delivery_id, a.weight) for a in conversion.attributions.all()] == [
        (offer.pk, affiliate.pk, Decimal("1.000000000000"))
    ]


def test_the_seed_example_again_is_a_replay_that_stores_nothing(everflow, organization, offer, affiliate):
    first = everflow.post(URL, SEED_BODY, content_type="application/json")
    again = everflow.post(URL, SEED_BODY, content_type="application/json")

    assert first.status_code == again.status_code == 200
    assert again.json() == {"result": True}
    assert again["Idempotent-Replayed"] == "true"
    assert stored(organization).count() == 1


def test_a_different_body_with_a_known_order_id_is_a_409_in_the_error_envelope(
    everflow, organization, offer, affiliate
):
    everflow.post(URL, SEED_BODY, content_type="application/json")
    existing = stored(organization).get()

    response = post(everflow, body(number_of_conversions=3, order_id="321312"))

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "conflict"
    assert error["existing_id"] == str(existing.pk)
    assert "321312" in error["message"]
    existing.refresh_from_db()
    assert existing.count == 2 and stored(organization).count() == 1


def test_a_dated_body_replays_too(everflow, organization, offer, affiliate):
    payload = body(is_now=False, date="2025-06-01 10:00:00", timezone_id=80, order_id="A-1", sale_amount=5)
    assert post(everflow, payload).status_code == 200
    again = post(everflow, payload)
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    moved = post(everflow, {**payload, "date": "2025-06-01 10:00:01"})
    assert moved.status_code == 409
    assert stored(organization).count() == 1


# --- number_of_conversions: Everflow's 1..50 --------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 50])
def test_number_of_conversions_at_its_limits_is_the_count(everflow, organization, offer, affiliate, number):
    response = post(everflow, body(number_of_conversions=number, sale_amount="2.50"))
    assert response.status_code == 200, response.json()
    conversion = stored(organization).get()
    assert conversion.count == number
    assert conversion.revenue == Decimal("2.50") * number


@pytest.mark.parametrize("number", [0, 51, -1, 1_000_000])
def test_number_of_conversions_outside_1_to_50_is_a_400_that_stores_nothing(
    everflow, organization, offer, affiliate, number
):
    assert_400_on(post(everflow, body(number_of_conversions=number)), "number_of_conversions")
    assert not stored(organization).exists()


@pytest.mark.parametrize("value", ["2", 2.5, True, None])
def test_number_of_conversions_must_be_a_json_integer(everflow, organization, offer, affiliate, value):
    assert_400_on(post(everflow, body(number_of_conversions=value)), "number_of_conversions")


# --- Required fields, unknown fields, JSON types -------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["offer_id", "event_id", "affiliate_id", "number_of_conversions", "timezone_id", "is_now"]
)
def test_each_required_field_missing_is_a_400_naming_it(everflow, organization, offer, affiliate, field):
    assert_400_on(post(everflow, body(**{field: ...})), field)
    assert not stored(organization).exists()


def test_every_optional_field_may_be_left_out(everflow, organization, offer, affiliate):
    assert post(everflow, body()).status_code == 200


def test_an_unknown_field_or_query_parameter_is_a_400_naming_it(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(transaction_id="x")), "transaction_id")
    assert_400_on(post(everflow, body(organization_id=1)), "organization_id")
    assert_400_on(everflow.post(f"{URL}?debug=1", body(), format="json"), "debug")
    assert not stored(organization).exists()


def test_an_empty_or_malformed_body_is_a_400_and_another_media_type_a_415(everflow, organization, offer, affiliate):
    assert everflow.post(URL, b"", content_type="application/json").status_code == 400
    assert everflow.post(URL, b"{", content_type="application/json").status_code == 400
    assert everflow.post(URL, b"[]", content_type="application/json").status_code == 400
    assert everflow.post(URL, b"offer_id=33", content_type="application/x-www-form-urlencoded").status_code == 415
    assert not stored(organization).exists()


@pytest.mark.parametrize("field", ["offer_id", "affiliate_id", "event_id", "timezone_id"])
def test_ids_must_be_json_integers(everflow, organization, offer, affiliate, field):
    assert_400_on(post(everflow, body(**{field: "33"})), field)


@pytest.mark.parametrize("field", ["is_now", "is_payout_amount_submitted", "is_revenue_amount_submitted"])
def test_flags_must_be_json_booleans(everflow, organization, offer, affiliate, field):
    assert_400_on(post(everflow, body(**{field: "true"})), field)


def test_a_trailing_slash_is_the_same_route(everflow, organization, offer, affiliate):
    assert everflow.post(f"{URL}/", body(), format="json").status_code == 200


def test_other_methods_are_405_and_unknown_routes_404_in_the_envelope(everflow):
    assert everflow.get(URL).status_code == 405
    for method in (everflow.put, everflow.patch, everflow.delete):
        response = method(f"{URL}?x=1")  # no body, an unknown parameter: still the 405
        assert response.status_code == 405
        assert response.json()["error"]["type"] == "validation_error"
    response = everflow.post("/compat/everflow/v1/networks/conversions", body(), format="json")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


# --- offer_id and affiliate_id: campaigns and deliveries by external_id --------------------------------------------


def test_an_unknown_offer_or_affiliate_is_a_400(everflow, organization, offer, affiliate):
    assert "There is no such offer" in assert_400_on(post(everflow, body(offer_id=34)), "offer_id")[0]
    assert "There is no such affiliate" in assert_400_on(post(everflow, body(affiliate_id=40)), "affiliate_id")[0]
    assert not stored(organization).exists()


def test_a_campaign_is_no_affiliate_and_a_delivery_no_offer(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(offer_id=39)), "offer_id")
    assert_400_on(post(everflow, body(affiliate_id=33)), "affiliate_id")


def test_an_affiliate_of_another_campaign_is_a_400_on_affiliate_id(everflow, organization, offer):
    DeliveryFactory(organization=organization, campaign=CampaignFactory(organization=organization), external_id="39")
    assert "another campaign" in assert_400_on(post(everflow, body()), "affiliate_id")[0]


def test_an_affiliate_without_a_campaign_goes_with_any_offer(everflow, organization, offer):
    loose = DeliveryFactory(organization=organization, campaign=None, external_id="39")
    assert post(everflow, body()).status_code == 200
    assert stored(organization).get().delivery == loose


# --- Tenancy ------------------------------------------------------------------------------------------------------


def test_another_organizations_offer_and_affiliate_do_not_exist_for_this_key(
    everflow, organization, other_organization
):
    theirs = CampaignFactory(organization=other_organization, external_id="33")
    DeliveryFactory(organization=other_organization, campaign=theirs, external_id="39")

    assert_400_on(post(everflow, body()), "offer_id")
    assert_400_on(post(everflow, body()), "affiliate_id")
    assert not Conversion.objects.exists()


def test_another_organizations_key_cannot_touch_my_rows(everflow, other_everflow, organization, offer, affiliate):
    assert post(everflow, body(order_id="321312")).status_code == 200
    mine = stored(organization).get()

    # My offer and affiliate do not exist for their key...
    assert_400_on(post(other_everflow, body(order_id="321312", number_of_conversions=9)), "offer_id")
    # ...and with their own offer 33 / affiliate 39, my order_id is no conflict: it is their first conversion.
    theirs = CampaignFactory(organization=offer.organization.__class__.objects.get(slug="globex"), external_id="33")
    DeliveryFactory(organization=theirs.organization, campaign=theirs, external_id="39")
    response = post(other_everflow, body(order_id="321312", number_of_conversions=9))
    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    mine.refresh_from_db()
    assert mine.count == 1
    assert stored(theirs.organization).get().count == 9


# --- Authentication -----------------------------------------------------------------------------------------------


def test_no_key_or_a_bad_key_is_a_401_in_the_envelope(client, organization, offer, affiliate):
    for headers in ({}, {"HTTP_X_EFLOW_API_KEY": "cm_00000000_nope"}, {"HTTP_X_EFLOW_API_KEY": "garbage"}):
        response = client.post(URL, body(), content_type="application/json", **headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["type"] == "authentication_error"
        assert response["WWW-Authenticate"]
    assert not stored(organization).exists()


@pytest.mark.parametrize("everflow_key", ["", "  ", "42"])
def test_an_empty_or_wrong_everflow_key_is_a_401(organization, offer, affiliate, everflow_key):
    response = post(everflow_client(everflow_key), body())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'X-Eflow-Api-Key realm="everflow"'
    assert not stored(organization).exists()


def test_with_both_headers_the_canonical_key_wins_as_on_api_v1(api_key_secret, other_organization, offer, affiliate):
    client = everflow_client(api_key_create(organization=other_organization, name="theirs")[1])
    client.credentials(
        HTTP_X_EFLOW_API_KEY=api_key_create(organization=other_organization, name="x")[1],
        HTTP_AUTHORIZATION=f"Bearer {api_key_secret}",
    )
    assert post(client, body()).status_code == 200  # offer 33 is found: the request is the Bearer key's org's
    assert Conversion.objects.get().organization == offer.organization


def test_a_revoked_key_is_a_401(organization, offer, affiliate):
    key, secret = api_key_create(organization=organization, name="revoked")
    api_key_revoke(api_key=key)
    assert post(everflow_client(secret), body()).status_code == 401


def test_a_read_only_key_is_a_403(organization, offer, affiliate):
    secret = api_key_create(organization=organization, name="reader", read_only=True)[1]
    response = post(everflow_client(secret), body())
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"


def test_the_canonical_key_headers_work_too(api, organization, offer, affiliate):
    assert post(api, body()).status_code == 200


# --- Dates and time zones -----------------------------------------------------------------------------------------


def test_is_now_false_needs_a_date(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(is_now=False)), "date")
    assert_400_on(post(everflow, body(is_now=False, date="")), "date")
    assert_400_on(post(everflow, body(is_now=False, date=None)), "date")
    assert not stored(organization).exists()


@pytest.mark.parametrize(
    "date",
    [
        "2025-06-01T10:00:00",
        "2025-06-01 10:00",
        "2025-06-01",
        "2025-6-1 10:00:00",
        "2025-06-01 10:00:00Z",
        "2025-06-01 10:00:00+02:00",
        " 2025-06-01 10:00:00",
        "2025-02-29 10:00:00",
        "2025-06-31 10:00:00",
        "2025-06-01 24:00:00",
        "2025-06-01 10:60:00",
        "0000-01-01 00:00:00",
        "01/06/2025 10:00:00",
        "",
    ],
)
def test_a_date_not_in_the_format_yyyy_mm_dd_hh_mm_ss_is_a_400(everflow, organization, offer, affiliate, date):
    assert_400_on(post(everflow, body(is_now=False, date=date or "x")), "date")
    assert not stored(organization).exists()


def test_a_date_must_be_a_json_string(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(is_now=False, date=20250601)), "date")


def test_a_date_out_of_range_or_in_the_future_is_a_400_on_date(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(is_now=False, date="0001-01-01 00:00:00", timezone_id=1)), "date")
    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert_400_on(post(everflow, body(is_now=False, date=later)), "date")
    just_now = (timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert post(everflow, body(is_now=False, date=just_now)).status_code == 200


def test_with_is_now_a_valid_date_is_not_used(everflow, organization, offer, affiliate):
    before = timezone.now()
    assert post(everflow, body(is_now=True, date="2020-01-01 00:00:00")).status_code == 200
    assert stored(organization).get().converted_at >= before


@pytest.mark.parametrize("timezone_id", [0, 17, 66, 68, 100, -67, 2**40])
def test_an_unknown_timezone_id_is_a_400(everflow, organization, offer, affiliate, timezone_id):
    message = assert_400_on(post(everflow, body(timezone_id=timezone_id)), "timezone_id")[0]
    assert "There is no such timezone_id" in message
    assert not stored(organization).exists()


@pytest.mark.parametrize(
    ("timezone_id", "date", "utc"),
    [
        # 67 = UTC: the wall clock is UTC, on both sides of New York's DST change.
        (67, "2025-03-09 01:30:00", "2025-03-09T01:30:00Z"),
        (67, "2025-03-09 03:30:00", "2025-03-09T03:30:00Z"),
        # 80 = America/New_York: EST (-05:00) before 2025-03-09 02:00, EDT (-04:00) after...
        (80, "2025-03-09 01:30:00", "2025-03-09T06:30:00Z"),
        (80, "2025-03-09 03:30:00", "2025-03-09T07:30:00Z"),
        # ...and back to EST on 2025-11-02 at 02:00 EDT.
        (80, "2025-11-02 00:30:00", "2025-11-02T04:30:00Z"),
        (80, "2025-11-02 03:30:00", "2025-11-02T08:30:00Z"),
        # The repeated hour (01:00-02:00 happens twice) is read as its first occurrence (EDT).
        (80, "2025-11-02 01:30:00", "2025-11-02T05:30:00Z"),
        # The skipped hour (02:00-03:00 does not exist) is read with the offset before the change (EST).
        (80, "2025-03-09 02:30:00", "2025-03-09T07:30:00Z"),
    ],
)
def test_date_is_read_in_the_zone_of_timezone_id_across_dst(
    everflow, api, organization, offer, affiliate, timezone_id, date, utc
):
    response = post(everflow, body(is_now=False, date=date, timezone_id=timezone_id, order_id="T"))
    assert response.status_code == 200, response.json()
    conversion = stored(organization).get()
    assert api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]["converted_at"] == utc


# --- Amounts ------------------------------------------------------------------------------------------------------


def test_amounts_per_conversion_times_the_count(everflow, organization, offer, affiliate):
    payload = body(
        number_of_conversions=3,
        sale_amount=12.5,
        payout_amount="1.25",
        is_payout_amount_submitted=True,
        revenue_amount=4,
        is_revenue_amount_submitted=True,
    )
    assert post(everflow, payload).status_code == 200
    conversion = stored(organization).get()
    assert conversion.revenue == conversion.revenue_without_tax == Decimal("37.50")
    assert conversion.payout == Decimal("3.75")
    assert conversion.metadata == {"revenue_amount": "4.00"}
    assert conversion.currency == "EUR"


def test_payout_and_revenue_amounts_count_only_when_submitted(everflow, organization, offer, affiliate):
    payload = body(sale_amount=10, payout_amount=2, revenue_amount=3, is_payout_amount_submitted=False)
    assert post(everflow, payload).status_code == 200
    conversion = stored(organization).get()
    assert conversion.revenue == Decimal("10.00")
    assert conversion.payout is None
    assert conversion.metadata == {}


@pytest.mark.parametrize(
    "flag,amount", [("is_payout_amount_submitted", "payout_amount"), ("is_revenue_amount_submitted", "revenue_amount")]
)
def test_a_submitted_flag_without_its_amount_is_a_400(everflow, organization, offer, affiliate, flag, amount):
    assert_400_on(post(everflow, body(**{flag: True})), amount)
    assert_400_on(post(everflow, body(**{flag: True, amount: None})), amount)


@pytest.mark.parametrize("field", ["sale_amount", "payout_amount", "revenue_amount"])
@pytest.mark.parametrize("value", [-0.01, "1.005", "abc", "NaN", 1e12])
def test_an_amount_that_is_no_money_is_a_400(everflow, organization, offer, affiliate, field, value):
    flags = {"is_payout_amount_submitted": True, "is_revenue_amount_submitted": True}
    assert_400_on(post(everflow, body(**{field: value}, **flags)), field)
    assert not stored(organization).exists()


def test_an_amount_times_the_count_beyond_the_money_limit_is_a_400_on_that_amount(
    everflow, organization, offer, affiliate
):
    largest = Decimal("999999999999.99")
    fits = body(number_of_conversions=1, sale_amount=str(largest), payout_amount="0", is_payout_amount_submitted=True)
    assert post(everflow, fits).status_code == 200
    assert_400_on(post(everflow, body(number_of_conversions=2, sale_amount=str(largest))), "sale_amount")
    too_much = body(number_of_conversions=50, payout_amount="20000000000.00", is_payout_amount_submitted=True)
    assert_400_on(post(everflow, too_much), "payout_amount")
    assert stored(organization).count() == 1


# --- Texts, e-mail, events ----------------------------------------------------------------------------------------


def test_texts_email_and_advertiser_parameters(everflow, organization, offer, affiliate):
    payload = body(
        email="Jane@Example.com",
        coupon_code="SPRING",
        internal_notes="from the partner",
        adv1="a",
        adv2="b",
        adv3="",
        adv5="e",
        order_id=" O-1 ",
    )
    assert post(everflow, payload).status_code == 200
    conversion = stored(organization).get()
    assert conversion.contact.email == "jane@example.com"
    assert conversion.coupon_code == "SPRING"
    assert conversion.notes == "from the partner"
    assert conversion.metadata == {"adv1": "a", "adv2": "b", "adv5": "e"}
    assert conversion.order_id == "O-1"
    # The same e-mail again finds the same contact, as on /api/v1/.
    assert post(everflow, body(email="JANE@example.com")).status_code == 200
    assert Contact.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize(
    ("field", "limit"),
    [("adv1", 500), ("adv5", 500), ("coupon_code", 100), ("internal_notes", 2000), ("order_id", 255)],
)
def test_text_limits_at_their_edges(everflow, organization, offer, affiliate, field, limit):
    assert post(everflow, body(**{field: "x" * limit})).status_code == 200
    assert_400_on(post(everflow, body(**{field: "y" * (limit + 1)})), field)
    assert stored(organization).count() == 1


@pytest.mark.parametrize("field", ["adv1", "coupon_code", "internal_notes", "order_id", "email"])
def test_texts_with_nul_or_lone_surrogates_are_a_400(everflow, organization, offer, affiliate, field):
    for text in ('"a\\u0000b"', '"a\\ud800b"'):
        raw = json.dumps(body())[:-1] + f', "{field}": {text}}}'  # the escape reaches the parser as sent
        assert_400_on(everflow.post(URL, raw.encode(), content_type="application/json"), field)
    assert not stored(organization).exists()


def test_an_invalid_email_is_a_400(everflow, organization, offer, affiliate):
    assert_400_on(post(everflow, body(email="not-an-email")), "email")
    assert_400_on(post(everflow, body(email="a" * 250 + "@x.cz")), "email")


def test_event_zero_is_a_purchase_and_other_events_are_kept_in_metadata(everflow, organization, offer, affiliate):
    assert post(everflow, body(event_id=0, order_id="base")).status_code == 200
    assert post(everflow, body(event_id=7, order_id="event", adv1="x")).status_code == 200
    base, event = stored(organization).get(order_id="base"), stored(organization).get(order_id="event")
    assert (base.type, base.metadata) == (Conversion.Type.PURCHASE, {})
    assert (event.type, event.metadata) == (Conversion.Type.CUSTOM, {"adv1": "x", "event_id": 7})
    assert_400_on(post(everflow, body(event_id=-1)), "event_id")
