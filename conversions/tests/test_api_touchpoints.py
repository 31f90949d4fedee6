"""/api/v1/touchpoints/: the shared API contract (core/tests/api_contract.py), then filters, references, time
limits and the late re-attribution a new touchpoint triggers."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.models import Touchpoint
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory, TouchpointFactory
from core.tests.api_contract import TenantResourceContract, assert_400_on, assert_envelope, listed_ids

URL = "/api/v1/touchpoints/"


def touchpoint_body(organization) -> dict:
    return {
        "contact_id": str(ContactFactory(organization=organization).pk),
        "campaign_id": str(CampaignFactory(organization=organization).pk),
        "kind": "open",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
    }


class TestTouchpointsAPI(TenantResourceContract):
    path = URL
    model = Touchpoint
    patch = {"kind": "delivered"}
    ordering = "occurred_at"
    facet = "kind"
    not_echoed = ("occurred_at",)
    datetime_filters = ("occurred_after", "occurred_before", "created_after", "created_before")

    def make(self, organization):
        return TouchpointFactory(
            organization=organization,
            contact=ContactFactory(organization=organization),
            delivery=DeliveryFactory(organization=organization),
        )

    def create_body(self, organization):
        return touchpoint_body(organization)

    def put_body(self, organization):
        return touchpoint_body(organization)


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
    assert listed_ids(api.get(URL, {"contact_id": str(john.pk)})) == {str(on_lone.pk)}
    assert listed_ids(api.get(URL, {"campaign_id": str(campaign.pk)})) == {str(on_campaign.pk), str(on_its_delivery.pk)}
    assert listed_ids(api.get(URL, {"delivery_id": str(lone.pk)})) == {str(on_lone.pk)}
    assert listed_ids(api.get(URL, {"kind": "open"})) == {str(on_campaign.pk)}
    boundary = (now - timedelta(days=1, hours=12)).isoformat()
    assert listed_ids(api.get(URL, {"occurred_after": boundary})) == {str(on_its_delivery.pk), str(on_lone.pk)}
    assert listed_ids(api.get(URL, {"occurred_before": boundary})) == {str(on_campaign.pk)}
    assert_400_on(api.get(URL, {"kind": "bounce"}), "kind")
    assert_400_on(api.get(URL, {"contact_id": "00000000-0000-0000-0000-000000000000"}), "contact_id")


def test_touchpoint_needs_a_contact_and_a_target(api, organization, other_organization):
    contact = ContactFactory(organization=organization)
    now = timezone.now().isoformat()
    assert_400_on(
        api.post(URL, {"contact_id": str(contact.pk), "kind": "open", "occurred_at": now}, format="json"), "campaign_id"
    )
    campaign = CampaignFactory(organization=organization)
    assert_400_on(
        api.post(URL, {"campaign_id": str(campaign.pk), "kind": "open", "occurred_at": now}, format="json"),
        "contact_id",
    )
    foreign_contact = ContactFactory(organization=other_organization)
    body = {"contact_id": str(foreign_contact.pk), "campaign_id": str(campaign.pk), "kind": "open", "occurred_at": now}
    assert_400_on(api.post(URL, body, format="json"), "contact_id")


def test_touchpoint_whose_attribution_reach_is_past_year_9999_is_400(api, organization):
    body = {
        "contact_id": str(ContactFactory(organization=organization).pk),
        "campaign_id": str(CampaignFactory(organization=organization).pk),
        "kind": "open",
        "occurred_at": "9999-12-31T23:00:00Z",
    }
    assert_400_on(api.post(URL, body, format="json"), "occurred_at")
    assert Touchpoint.objects.count() == 0


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
        assert api.post(URL, body, format="json").status_code == 201
    # Tests run Celery eagerly: the background re-attribution ran when the request's transaction committed.
    credit = api.get(f"/api/v1/conversions/{conversion.pk}/").json()["data"]["attributions"]
    assert [(row["delivery_id"], row["revenue"]) for row in credit] == [(str(delivery.pk), 40.0)]


# --- Deduplication by external_id -------------------------------------------------------------------------------


def _touch_body(contact, campaign, **overrides):
    return {
        "contact_id": str(contact.pk),
        "campaign_id": str(campaign.pk),
        "kind": "click",
        "occurred_at": "2024-05-01T10:00:00Z",
        "external_id": "evt-1",
        **overrides,
    }


def test_the_same_external_id_again_is_a_replay_and_a_different_touch_a_conflict(api, organization):
    contact = ContactFactory(organization=organization)
    campaign = CampaignFactory(organization=organization)
    first = api.post(URL, _touch_body(contact, campaign), format="json")
    assert first.status_code == 201
    again = api.post(URL, _touch_body(contact, campaign), format="json")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    other = api.post(URL, _touch_body(contact, campaign, kind="open"), format="json")
    error = assert_envelope(other, 409, "conflict")
    assert error["existing_id"] == first.json()["data"]["id"]
    assert Touchpoint.objects.filter(organization=organization).count() == 1


def test_external_id_length_and_independence_across_organizations(api, other_api, organization, other_organization):
    contact = ContactFactory(organization=organization)
    campaign = CampaignFactory(organization=organization)
    assert api.post(URL, _touch_body(contact, campaign, external_id="x" * 255), format="json").status_code == 201
    too_long = api.post(URL, _touch_body(contact, campaign, external_id="y" * 256), format="json")
    assert_400_on(too_long, "external_id")
    other_contact = ContactFactory(organization=other_organization)
    other_campaign = CampaignFactory(organization=other_organization)
    assert (
        other_api.post(
            URL, _touch_body(other_contact, other_campaign, external_id="x" * 255), format="json"
        ).status_code
        == 201
    )
    assert api.post(URL, _touch_body(contact, campaign, external_id=None), format="json").status_code == 201
    assert (
        api.post(URL, _touch_body(contact, campaign, external_id=None), format="json").status_code == 201
    )  # no key: no dedup
