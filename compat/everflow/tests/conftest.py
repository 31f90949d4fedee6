"""Fixtures of the Everflow adapter tests: clients sending the key in ``X-Eflow-Api-Key``, and the campaign and
delivery the seed's example names (offer 33, affiliate 39)."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory

URL = "/compat/everflow/v1/networks/conversions/reporting"
TIMEZONES_URL = "/compat/everflow/v1/meta/timezones"


def everflow_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_EFLOW_API_KEY=secret)
    return client


@pytest.fixture
def everflow(api_key_secret):
    return everflow_client(api_key_secret)


@pytest.fixture
def other_everflow(other_organization):
    return everflow_client(api_key_create(organization=other_organization, name="other")[1])


@pytest.fixture
def offer(organization):
    return CampaignFactory(organization=organization, name="Offer 33", external_id="33")


@pytest.fixture
def affiliate(organization, offer):
    return DeliveryFactory(organization=organization, name="Affiliate 39", campaign=offer, external_id="39")


def body(**overrides) -> dict:
    """A valid body naming offer 33 and affiliate 39, recorded now."""
    values = {
        "offer_id": 33,
        "event_id": 0,
        "affiliate_id": 39,
        "number_of_conversions": 1,
        "timezone_id": 67,
        "is_now": True,
    }
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not ...}
