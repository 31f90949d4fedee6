"""The Everflow routes in the served OpenAPI schema: their own tag, the X-Eflow-Api-Key scheme, the seed's body."""

import pytest

from ..timezones import EVERFLOW_TIMEZONES

REPORTING = "/compat/everflow/v1/networks/conversions/reporting"
TIMEZONES = "/compat/everflow/v1/meta/timezones"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/v1/schema/", {"format": "json"}).json()


def test_routes_are_documented_under_their_own_tag_with_the_everflow_key(schema):
    post = schema["paths"][REPORTING]["post"]
    get = schema["paths"][TIMEZONES]["get"]
    assert list(schema["paths"][REPORTING]) == ["post"]
    for operation in (post, get):
        assert operation["tags"] == ["Everflow compatibility"]
    assert {"EverflowApiKey": []} in post["security"]
    assert get.get("security", []) in ([], [{}])  # public, as Everflow's metadata API
    assert "401" not in get["responses"]
    assert schema["components"]["securitySchemes"]["EverflowApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Eflow-Api-Key",
        "description": "`X-Eflow-Api-Key: <API key>`: the same keys as `/api/v1/`.",
    }
    assert set(post["responses"]) >= {"200", "400", "401", "403", "409", "429"}
    assert "Idempotent-Replayed" in post["responses"]["200"]["headers"]


def test_the_body_is_everflows_field_for_field(schema):
    body = schema["components"]["schemas"]["EverflowConversionRequest"]
    assert set(body["properties"]) == {
        "offer_id", "event_id", "affiliate_id", "number_of_conversions", "timezone_id", "is_now", "date",
        "internal_notes", "revenue_amount", "is_revenue_amount_submitted", "payout_amount",
        "is_payout_amount_submitted", "sale_amount", "adv1", "adv2", "adv3", "adv4", "adv5", "email",
        "coupon_code", "order_id",
    }  # fmt: skip
    assert set(body["required"]) == {
        "offer_id",
        "event_id",
        "affiliate_id",
        "number_of_conversions",
        "timezone_id",
        "is_now",
    }
    assert body["additionalProperties"] is False
    number = body["properties"]["number_of_conversions"]
    assert (number["minimum"], number["maximum"]) == (1, 50)
    enum = schema["components"]["schemas"]["TimezoneIdEnum"]["enum"]
    assert enum == sorted(EVERFLOW_TIMEZONES)
    assert schema["components"]["schemas"]["EverflowResult"]["required"] == ["result"]
