"""/api/v1/deliveries/: the shared API contract (core/tests/api_contract.py), then filters, search, facets and the
campaign reference."""

from conversions.models import Delivery
from conversions.tests.factories import CampaignFactory, DeliveryFactory
from core.tests.api_contract import TenantResourceContract, assert_400_on, listed_ids

URL = "/api/v1/deliveries/"


class TestDeliveriesAPI(TenantResourceContract):
    path = URL
    model = Delivery
    patch = {"language": "de"}
    facet = "kind"
    datetime_filters = ("created_after", "created_before")

    def make(self, organization):
        return DeliveryFactory(organization=organization)

    def create_body(self, organization):
        return {"name": "Welcome flow", "kind": "smartflow", "language": "cs"}

    def put_body(self, organization):
        return {
            "name": "Campaign send",
            "kind": "campaign",
            "campaign_id": str(CampaignFactory(organization=organization).pk),
        }


def test_delivery_filters_search_and_facets(api, organization, other_organization):
    campaign = CampaignFactory(organization=organization)
    welcome = DeliveryFactory(organization=organization, name="Welcome flow", kind="smartflow", language="cs")
    send = DeliveryFactory(
        organization=organization, name="Newsletter", kind="campaign", campaign=campaign, language="en"
    )
    assert listed_ids(api.get(URL, {"kind": "campaign"})) == {str(send.pk)}
    assert listed_ids(api.get(URL, {"campaign_id": str(campaign.pk)})) == {str(send.pk)}
    assert listed_ids(api.get(URL, {"language": "cs"})) == {str(welcome.pk)}
    assert listed_ids(api.get(URL, {"search": "welcome"})) == {str(welcome.pk)}
    assert api.get(URL, {"facets": "kind,campaign_id"}).json()["facets"] == {
        "kind": {"campaign": 1, "smartflow": 1},
        "campaign_id": {str(campaign.pk): 1, "": 1},
    }
    foreign = CampaignFactory(organization=other_organization)
    assert_400_on(api.get(URL, {"campaign_id": str(foreign.pk)}), "campaign_id")
    assert_400_on(api.get(URL, {"kind": "flow"}), "kind")


def test_delivery_campaign_of_another_organization_is_400(api, organization, other_organization):
    foreign = CampaignFactory(organization=other_organization)
    response = api.post(URL, {"name": "x", "campaign_id": str(foreign.pk)}, format="json")
    assert_400_on(response, "campaign_id")
