"""``POST /compat/topmail/api/v1/conversions``: the seed's example, Topmail's fields, defaults and limits at their
edges, deduplication by ``order_id``, authentication and tenancy."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from conversions.models import Conversion
from conversions.services import touchpoint_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory

from .conftest import SEED_CREATE_ANSWER, TOPMAIL_TIME, URL, assert_same_shape, post, post_raw

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int]:
    return Conversion.objects.count(), Contact.objects.count()


# --- The seed's own example ------------------------------------------------------------------------------------------


def test_the_seed_create_example_answers_in_the_seed_shape(api, seed_create_body, summer_sale):
    response = post_raw(api, seed_create_body)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert_same_shape(body, SEED_CREATE_ANSWER)
    data = body["data"]
    conversion = Conversion.objects.get()
    assert data["id"] == str(conversion.pk)
    assert data["type"] == "purchase"
    assert data["revenue"] == 149.99
    assert data["currency"] == "USD"
    assert data["order_id"] == "order-789"
    assert data["contact_id"] == str(Contact.objects.get(email="customer@example.com").pk)
    assert data["campaign_id"] == str(summer_sale.pk)
    assert data["flow_id"] is None
    assert data["attribution_model"] == "last_touch"
    assert data["metadata"] == {"product": "Premium Plan", "source": "checkout"}
    assert TOPMAIL_TIME.match(data["converted_at"]) and TOPMAIL_TIME.match(data["created_at"])
    assert "Idempotent-Replayed" not in response
    # What was stored: our fields under our names.
    assert conversion.revenue == Decimal("149.99") and conversion.attribution_window == 7
    assert conversion.campaign == summer_sale and conversion.delivery is None
    assert response.json()["data"]["converted_at"] == (
        conversion.converted_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    )


def test_the_seed_example_twice_is_a_replay(api, seed_create_body):
    first = post_raw(api, seed_create_body)
    again = post_raw(api, seed_create_body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Conversion.objects.count() == 1


# --- Fields and defaults ---------------------------------------------------------------------------------------------


def test_topmail_defaults_apply_when_fields_are_left_out(api, organization):
    organization.default_attribution_model = "linear"  # the organization's own defaults do not apply here
    organization.default_attribution_window = 30
    organization.save()

    response = post(api, {"email": "someone@example.com"})

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["type"], data["currency"], data["attribution_model"]) == ("custom", "USD", "last_touch")
    assert data["revenue"] == 0 and data["metadata"] == {} and data["order_id"] is None
    conversion = Conversion.objects.get()
    assert conversion.currency == "USD"  # not the organization's reference currency (EUR)
    assert conversion.attribution_window == 7


def test_contact_id_alone_names_the_contact(api, organization):
    contact = ContactFactory(organization=organization)

    response = post(api, {"contact_id": str(contact.pk), "revenue": 10})

    assert response.status_code == 201, response.json()
    assert response.json()["data"]["contact_id"] == str(contact.pk)


def test_email_finds_the_contact_case_insensitively(api, organization):
    contact = ContactFactory(organization=organization, email="jane@example.com")

    response = post(api, {"email": "Jane@Example.COM"})

    assert response.json()["data"]["contact_id"] == str(contact.pk)
    assert Contact.objects.count() == 1


def test_email_and_contact_id_that_agree_are_fine(api, organization):
    contact = ContactFactory(organization=organization, email="jane@example.com")

    response = post(api, {"email": "jane@example.com", "contact_id": str(contact.pk)})

    assert response.status_code == 201, response.json()


def test_email_and_contact_id_that_disagree_are_a_400(api, organization):
    contact = ContactFactory(organization=organization, email="jane@example.com")

    response = post(api, {"email": "john@example.com", "contact_id": str(contact.pk)})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["email"]
    assert stored() == (0, 1)


@pytest.mark.parametrize(
    "payload",
    [{}, {"revenue": 10}, {"email": None}, {"email": ""}, {"contact_id": None}, {"contact_id": ""}],
    ids=["empty", "neither", "null-email", "blank-email", "null-contact", "blank-contact"],
)
def test_without_email_or_contact_id_is_a_400_that_stores_nothing(api, payload):
    response = post(api, payload)

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert set(error["fields"]) & {"email", "contact_id"}
    assert stored() == (0, 0)


def test_flow_id_is_our_delivery(api, flow):
    response = post(api, {"email": "a@example.com", "flow_id": str(flow.pk)})

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["flow_id"] == str(flow.pk) and data["campaign_id"] is None
    assert Conversion.objects.get().delivery == flow


def test_a_flow_of_another_campaign_than_campaign_id_is_a_400_on_flow_id(api, organization, summer_sale):
    other_campaign = CampaignFactory(organization=organization)
    other_campaign_flow = DeliveryFactory(organization=organization, campaign=other_campaign)

    response = post(
        api, {"email": "a@example.com", "campaign_id": str(summer_sale.pk), "flow_id": str(other_campaign_flow.pk)}
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["flow_id"]  # our delivery_id, under Topmail's name
    assert stored() == (0, 0)


def test_without_explicit_target_the_answer_shows_the_credited_campaign_and_flow(api, organization):
    """Topmail attributes a conversion to the campaign or flow of the last touch: so does its answer here."""
    contact = ContactFactory(organization=organization, email="jane@example.com")
    campaign = CampaignFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization, campaign=campaign)
    touchpoint_create(
        organization=organization, contact=contact, delivery=delivery, kind="click",
        occurred_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip

    data = post(api, {"email": "jane@example.com", "revenue": 5}).json()["data"]

    assert (data["campaign_id"], data["flow_id"]) == (str(campaign.pk), str(delivery.pk))
    conversion = Conversion.objects.get()
    assert conversion.campaign is None and conversion.delivery is None  # credit, not an explicit target


@pytest.mark.parametrize("model", ["last_touch", "first_touch", "linear"])
def test_topmail_attribution_model_names_are_ours(api, model):
    response = post(api, {"email": "a@example.com", "attribution_model": model})

    assert response.status_code == 201
    assert response.json()["data"]["attribution_model"] == model
    assert Conversion.objects.get().attribution_model == model


def test_currency_any_case_is_stored_upper_case(api):
    response = post(api, {"email": "a@example.com", "currency": "czk"})

    assert response.json()["data"]["currency"] == "CZK"


def test_converted_at_is_read_and_answered_in_topmail_format(api):
    response = post(api, {"email": "a@example.com", "converted_at": "2025-01-15T15:30:00.123456+01:00"})

    assert response.status_code == 201, response.json()
    assert response.json()["data"]["converted_at"] == "2025-01-15T14:30:00.123Z"
    assert Conversion.objects.get().converted_at == datetime(2025, 1, 15, 14, 30, 0, 123456, tzinfo=UTC)


def test_converted_at_without_offset_is_read_in_the_organization_zone(api):
    response = post(api, {"email": "a@example.com", "converted_at": "2025-01-15T14:30:00.000"})

    assert response.json()["data"]["converted_at"] == "2025-01-15T13:30:00.000Z"  # Europe/Prague is UTC+1


# --- Limits at their edges -------------------------------------------------------------------------------------------

EDGES = [
    ("attribution_window", 0, 400),
    ("attribution_window", 1, 201),
    ("attribution_window", 90, 201),
    ("attribution_window", 91, 400),
    ("attribution_window", "7", 400),
    ("order_id", "x" * 100, 201),
    ("order_id", "x" * 101, 400),
    ("revenue", -0.01, 400),
    ("revenue", 0, 201),
    ("revenue", 0.01, 201),
    ("revenue", 999999999999.99, 201),
    ("revenue", 1000000000000, 400),
    ("revenue", 0.001, 400),
    ("revenue", "149.99", 400),
    ("revenue", None, 400),
    ("type", "refund", 400),
    ("type", "upgrade", 201),
    ("attribution_model", "position_based", 400),
    ("currency", "XYZ", 400),
    ("currency", "", 400),
    ("currency", "EURO", 400),
    ("metadata", {f"k{index}": index for index in range(50)}, 201),
    ("metadata", {f"k{index}": index for index in range(51)}, 400),
    ("metadata", {"k" * 64: "v"}, 201),
    ("metadata", {"k" * 65: "v"}, 400),
    ("metadata", [], 400),
    ("email", "not-an-email", 400),
    ("campaign_id", "not-a-uuid", 400),
    ("flow_id", "00000000-0000-0000-0000-000000000000", 400),
]


@pytest.mark.parametrize(("field", "value", "status"), EDGES, ids=[f"{f}={str(v)[:20]}" for f, v, _ in EDGES])
def test_limit_edges(api, field, value, status):
    payload = {"email": "edge@example.com", field: value}
    if field == "email":
        payload = {"email": value}

    response = post(api, payload)

    assert response.status_code == status, response.json()
    if status == 400:
        assert list(response.json()["error"]["fields"]) == [field]
        assert stored() == (0, 0)
    else:
        assert Conversion.objects.count() == 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cents=st.integers(min_value=0, max_value=99_999_999_999_999))
def test_revenue_round_trips_as_a_json_number(api, cents):
    amount = Decimal(cents).scaleb(-2)

    response = api.generic("POST", URL, f'{{"email": "p@example.com", "revenue": {amount}}}', "application/json")

    assert response.status_code == 201, response.json()
    assert Decimal(str(response.json()["data"]["revenue"])) == amount
    assert Conversion.objects.get(pk=response.json()["data"]["id"]).revenue == amount


def test_converted_at_more_than_five_minutes_ahead_is_a_400(api):
    just_inside = (timezone.now() + timedelta(minutes=4)).isoformat()
    outside = (timezone.now() + timedelta(minutes=6)).isoformat()

    assert post(api, {"email": "a@example.com", "converted_at": just_inside}).status_code == 201
    response = post(api, {"email": "a@example.com", "converted_at": outside})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["converted_at"]
    assert Conversion.objects.count() == 1


@pytest.mark.parametrize("field", ["status", "delivery_id", "organization_id", "count", "timezone", "origin"])
def test_fields_topmail_does_not_have_are_a_400(api, field):
    response = post(api, {"email": "a@example.com", field: "x"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: ["Unknown field."]}
    assert stored() == (0, 0)


def test_a_query_parameter_on_create_is_a_400(api):
    response = api.post(f"{URL}?type=purchase", {"email": "a@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"type": ["Unknown query parameter."]}


@pytest.mark.parametrize("body", ["", "{", "[]", '"text"', '{"revenue": NaN, "email": "a@example.com"}'])
def test_bad_bodies_are_a_400(api, body):
    response = post_raw(api, body)

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"
    assert stored() == (0, 0)


# --- Deduplication by order_id ---------------------------------------------------------------------------------------


def test_same_order_id_and_payload_is_a_replay_with_the_header(api):
    payload = {"email": "a@example.com", "revenue": 10, "order_id": "A-1"}
    first = post(api, payload)

    again = post(api, payload)

    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Conversion.objects.count() == 1


def test_a_replay_may_leave_out_the_defaults_it_sent(api):
    post(api, {"email": "a@example.com", "order_id": "A-1", "currency": "USD", "attribution_window": 7})

    again = post(api, {"email": "a@example.com", "order_id": "A-1"})

    assert again.status_code == 200


def test_same_order_id_with_another_payload_is_a_409_naming_the_existing(api):
    first = post(api, {"email": "a@example.com", "revenue": 10, "order_id": "A-1"}).json()["data"]

    response = post(api, {"email": "a@example.com", "revenue": 11, "order_id": "A-1"})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "conflict" and error["existing_id"] == first["id"]
    assert Conversion.objects.get().revenue == Decimal("10.00")


def test_an_order_id_stored_through_api_v1_deduplicates_here_too(api):
    created = api.post(
        "/api/v1/conversions/", {"email": "a@example.com", "order_id": "A-1", "currency": "USD"}, format="json"
    ).json()["data"]

    replay = post(api, {"email": "a@example.com", "order_id": "A-1"})
    conflict = post(api, {"email": "a@example.com", "order_id": "A-1", "currency": "EUR"})

    assert replay.status_code == 200 and replay.json()["data"]["id"] == created["id"]
    assert conflict.status_code == 409 and conflict.json()["error"]["existing_id"] == created["id"]


# --- Authentication and tenancy --------------------------------------------------------------------------------------


def test_no_key_or_a_bad_key_is_a_401(db):
    anonymous = APIClient()
    assert post(anonymous, {"email": "a@example.com"}).status_code == 401
    anonymous.credentials(HTTP_AUTHORIZATION="Bearer tm_live_abc123")  # the seed's example key
    response = post(anonymous, {"email": "a@example.com"})
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert stored() == (0, 0)


def test_the_x_api_key_header_works_too(api_key_secret):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_secret)

    assert post(client, {"email": "a@example.com"}).status_code == 201


def test_a_read_only_key_cannot_create(read_only_api):
    response = post(read_only_api, {"email": "a@example.com"})

    assert response.status_code == 403
    assert stored() == (0, 0)


@pytest.mark.parametrize("field", ["contact_id", "campaign_id", "flow_id"])
def test_another_organizations_rows_cannot_be_named(other_api, organization, summer_sale, flow, field):
    rows = {"contact_id": ContactFactory(organization=organization), "campaign_id": summer_sale, "flow_id": flow}
    payload = {"email": "b@example.com", field: str(rows[field].pk)}

    response = post(other_api, payload)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert Conversion.objects.count() == 0


def test_order_ids_are_per_organization(api, other_api):
    assert post(api, {"email": "a@example.com", "order_id": "A-1"}).status_code == 201
    assert post(other_api, {"email": "a@example.com", "order_id": "A-1", "revenue": 3}).status_code == 201


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_methods_topmail_does_not_have_are_a_405(api, method):
    response = getattr(api, method)(URL, {"email": "a@example.com"}, format="json")

    assert response.status_code == 405
    assert response.json()["error"]["type"] == "validation_error"


def test_the_trailing_slash_is_optional(api):
    assert post(api, {"email": "a@example.com"}, url=URL + "/").status_code == 201


def test_an_unknown_route_under_the_base_url_is_a_404_envelope(api):
    response = api.get("/compat/topmail/api/v1/contacts")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_the_write_is_in_the_audit_history_with_the_key(api, seed_create_body):
    created = post_raw(api, seed_create_body).json()["data"]

    [entry] = Conversion.history.filter(id=created["id"])

    assert entry.history_type == "+"
    assert entry.history_api_key  # the key that made it, as for a write through /api/v1/
    assert entry.order_id == "order-789" and entry.currency == "USD"


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00",
        "9999-12-31T23:59:59Z",
        "2025-01-15T14:30:00+16:00",
        "2025-13-01T00:00:00Z",
        "yesterday",
        "",
    ],
)
def test_converted_at_out_of_range_or_malformed_is_a_400(api, value):
    response = post(api, {"email": "a@example.com", "converted_at": value})

    assert response.status_code == 400, response.json()
    assert list(response.json()["error"]["fields"]) == ["converted_at"]
    assert stored() == (0, 0)


@pytest.mark.parametrize("value", ["order\x00id", 5, ["A-1"]])
def test_order_id_that_is_not_storable_text_is_a_400(api, value):
    response = post(api, {"email": "a@example.com", "order_id": value})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["order_id"]
