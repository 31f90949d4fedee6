"""/api/v1/campaigns/: the shared API contract (core/tests/api_contract.py), then fields, filters, search, facets."""

from datetime import timedelta

from django.utils import timezone

from conversions.models import Campaign
from conversions.tests.factories import CampaignFactory
from core.tests.api_contract import TenantResourceContract, assert_400_on, listed_ids

URL = "/api/v1/campaigns/"


class TestCampaignsAPI(TenantResourceContract):
    path = URL
    model = Campaign
    patch = {"status": "archived"}
    facet = "status"
    not_echoed = ("sent_at",)
    datetime_filters = ("sent_after", "sent_before", "created_after", "created_before")

    def make(self, organization):
        return CampaignFactory(organization=organization)

    def create_body(self, organization):
        return {"name": "Spring sale", "status": "scheduled", "language": "en"}

    def put_body(self, organization):
        return {"name": "Renamed", "status": "sent", "sent_at": timezone.now().isoformat()}


def test_campaign_filters_search_and_facets(api, organization):
    sent = CampaignFactory(
        organization=organization, name="Spring sale", status="sent", language="en", sent_at=timezone.now()
    )
    draft = CampaignFactory(organization=organization, name="Autumn news", status="draft", language="cs")
    assert listed_ids(api.get(URL, {"status": "draft"})) == {str(draft.pk)}
    assert listed_ids(api.get(URL, {"language": "EN"})) == {str(sent.pk)}
    assert listed_ids(api.get(URL, {"search": "spring"})) == {str(sent.pk)}
    assert listed_ids(api.get(URL, {"sent_after": (timezone.now() - timedelta(hours=1)).isoformat()})) == {str(sent.pk)}
    assert listed_ids(api.get(URL, {"created_before": (timezone.now() - timedelta(days=1)).isoformat()})) == set()
    assert api.get(URL, {"facets": "status,language"}).json()["facets"] == {
        "status": {"draft": 1, "sent": 1},
        "language": {"cs": 1, "en": 1},
    }
    assert_400_on(api.get(URL, {"status": "lost"}), "status")


def test_campaign_requires_a_name_and_checks_language(api, organization):
    assert_400_on(api.post(URL, {"status": "draft"}, format="json"), "name")
    assert_400_on(api.post(URL, {"name": "x", "language": "xx"}, format="json"), "language")
    assert_400_on(api.post(URL, {"name": "x", "status": "live"}, format="json"), "status")
    assert_400_on(api.post(URL, {"name": "n" * 256}, format="json"), "name")
    assert api.post(URL, {"name": "n" * 255}, format="json").status_code == 201


def test_a_lone_surrogate_echoed_in_a_choice_error_is_still_a_400_envelope(api, organization):
    response = api.post(URL, data='{"name": "Spring", "status": "\\ud800"}', content_type="application/json")

    assert_400_on(response, "status")
