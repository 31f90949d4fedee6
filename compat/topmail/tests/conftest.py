"""Fixtures of the Topmail adapter tests: the seed's own example requests and a campaign and flow to name in them.

The seed (Topmail's API documentation, ``002``) is quoted here byte for byte, so the tests do not depend on files
outside the repository. Its fake ids (``campaign-uuid-11111``) are replaced by real ones where a test sends them.
"""

import json
import re

import pytest

from conversions.tests.factories import CampaignFactory, DeliveryFactory

URL = "/compat/topmail/api/v1/conversions"

# Seed 002, "Create Conversion": the body of its curl example and its example answer.
SEED_CREATE_BODY = (
    '{"email": "customer@example.com","type": "purchase","revenue": 149.99,"currency": "USD","order_id": '
    '"order-789","campaign_id": "campaign-uuid-11111","attribution_model": "last_touch","attribution_window": 7,'
    '"metadata": {"product": "Premium Plan","source": "checkout"}}'
)
SEED_CREATE_ANSWER = json.loads(
    '{"data": {"id": "conv-uuid-12345","type": "purchase","revenue": 149.99,"currency": "USD","order_id": '
    '"order-789","contact_id": "contact-uuid-67890","campaign_id": "campaign-uuid-11111","flow_id": null,'
    '"attribution_model": "last_touch","metadata": {"product": "Premium Plan","source": "checkout"},"converted_at": '
    '"2025-01-15T14:30:00.000Z","created_at": "2025-01-15T14:30:00.000Z"}}'
)
# Seed 002, "List Conversions": the query string of its curl example and its example answer.
SEED_LIST_QUERY = "type=purchase&limit=50"
SEED_LIST_ANSWER = json.loads(
    '{"data": [{"id": "conv-uuid-12345","type": "purchase","revenue": 149.99,"currency": "USD","order_id": '
    '"order-789","contact": {"id": "contact-uuid-67890","email": "customer@example.com"},"campaign": {"id": '
    '"campaign-uuid-11111","name": "Summer Sale"},"flow": null,"attribution_model": "last_touch","metadata": {},'
    '"converted_at": "2025-01-15T14:30:00.000Z","created_at": "2025-01-15T14:30:00.000Z"}],"pagination": {"total": '
    '1,"limit": 50,"offset": 0,"has_more": false}}'
)
SEED_CAMPAIGN_ID = "campaign-uuid-11111"
TOPMAIL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def summer_sale(organization):
    """The seed's campaign "Summer Sale", as a real campaign of organization A."""
    return CampaignFactory(organization=organization, name="Summer Sale")


@pytest.fixture
def flow(organization):
    """A Topmail flow: one of our deliveries, outside any campaign."""
    return DeliveryFactory(organization=organization, name="Welcome flow")


@pytest.fixture
def seed_create_body(summer_sale) -> str:
    """The seed's create body, byte for byte, with the real campaign id in place of its fake one."""
    return SEED_CREATE_BODY.replace(SEED_CAMPAIGN_ID, str(summer_sale.pk))


def post_raw(client, body: str, url: str = URL):
    """POST a body exactly as given (the bytes of a curl ``-d``), with the seed's content type."""
    return client.generic("POST", url, body.encode(), content_type="application/json")


def post(client, payload: dict, url: str = URL):
    return client.post(url, payload, format="json")


FREE_OBJECTS = ("metadata",)  # arbitrary key-value objects: only their type is the shape


def assert_same_shape(actual, example, path: str = "") -> None:
    """``actual`` has exactly the keys of ``example``, in the same order, and each value the same JSON type
    (``null`` where the example has ``null``); lists compare every item with the example's first."""
    if path.rsplit(".", 1)[-1] in FREE_OBJECTS:
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
    elif isinstance(example, dict):
        assert isinstance(actual, dict), f"{path}: {actual!r} is not an object"
        assert list(actual) == list(example), f"{path}: keys {list(actual)} != {list(example)}"
        for key in example:
            assert_same_shape(actual[key], example[key], f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{path}: {actual!r} is not an array"
        for index, item in enumerate(actual):
            assert_same_shape(item, example[0], f"{path}[{index}]")
    elif example is None:
        assert actual is None, f"{path}: {actual!r} is not null"
    elif isinstance(example, bool):
        assert isinstance(actual, bool), f"{path}: {actual!r} is not a boolean"
    elif isinstance(example, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), f"{path}: {actual!r} not a number"
    else:
        assert isinstance(actual, type(example)), f"{path}: {actual!r} is not a {type(example).__name__}"
