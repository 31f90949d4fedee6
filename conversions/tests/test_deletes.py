"""Deletes keep credit and history: a deleted contact's conversions keep the touchpoint credit they had through
any later edit, and every conversion a delete changes (its contact, campaign or delivery emptied) gets a history
row."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from contacts.models import Contact
from contacts.services import contact_create
from conversions import services
from conversions.models import Conversion


def _delivery_report(api, delivery_id) -> tuple:
    today = timezone.localdate()
    body = api.get(
        "/reporting/v1/conversions/totals",
        {
            "dateFrom": (today - timedelta(days=3)).isoformat(),
            "dateTo": today.isoformat(),
            "deliveryId": str(delivery_id),
        },
    ).json()
    figures = body["conversions"]
    return Decimal(str(figures["conversionsNumber"])), Decimal(str(figures["conversionsAmountWTax"]))


def _credited_world(organization):
    contact = contact_create(organization=organization, email="gone@example.test")
    campaign = services.campaign_create(organization=organization, name="Spring")
    delivery = services.delivery_create(organization=organization, name="Flow", campaign=campaign)
    now = timezone.now()
    services.touchpoint_create(
        organization=organization,
        contact=contact,
        delivery=delivery,
        kind="click",
        occurred_at=now - timedelta(hours=2),
    )
    conversion, _ = services.conversion_create(
        organization=organization, contact=contact, revenue=Decimal("100.00"), converted_at=now - timedelta(hours=1)
    )
    return contact, campaign, delivery, conversion


def test_a_deleted_contacts_conversions_keep_their_credit_through_later_edits(api, organization):
    contact, _, delivery, conversion = _credited_world(organization)
    assert _delivery_report(api, delivery.pk) == (1, Decimal("100.00"))

    assert api.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    assert api.patch(f"/api/v1/conversions/{conversion.pk}/", {"notes": "checked"}, format="json").status_code == 200
    assert _delivery_report(api, delivery.pk) == (1, Decimal("100.00"))

    assert api.patch(f"/api/v1/conversions/{conversion.pk}/", {"revenue": 80}, format="json").status_code == 200
    assert _delivery_report(api, delivery.pk) == (1, Decimal("80.00"))  # the same credit, on the new amount


def test_deleting_a_contact_writes_a_history_row_for_each_of_its_conversions(api, organization):
    contact, _, _, conversion = _credited_world(organization)
    versions = conversion.history.count()
    assert api.delete(f"/api/v1/contacts/{contact.pk}/").status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert Conversion.objects.get(pk=conversion.pk).contact_id is None
    assert conversion.history.count() == versions + 1
    latest = conversion.history.order_by("-history_date").first()
    assert (latest.history_type, latest.contact_id) == ("~", None)


def test_deleting_a_campaign_writes_history_for_conversions_that_named_it(organization):
    campaign = services.campaign_create(organization=organization, name="Named")
    conversion, _ = services.conversion_create(organization=organization, revenue=Decimal("5.00"), campaign=campaign)
    versions = conversion.history.count()
    services.campaign_delete(campaign=campaign)
    stored = Conversion.objects.get(pk=conversion.pk)
    assert stored.campaign_id is None and not stored.attributions.exists()
    assert conversion.history.count() == versions + 1


def test_frozen_credit_is_shared_again_when_one_of_its_targets_is_deleted(organization):
    contact = contact_create(organization=organization, email="split@example.test")
    first = services.campaign_create(organization=organization, name="First")
    second = services.campaign_create(organization=organization, name="Second")
    now = timezone.now()
    for campaign, hours in ((first, 3), (second, 2)):
        services.touchpoint_create(
            organization=organization,
            contact=contact,
            campaign=campaign,
            kind="click",
            occurred_at=now - timedelta(hours=hours),
        )
    conversion, _ = services.conversion_create(
        organization=organization,
        contact=contact,
        revenue=Decimal("10.01"),
        attribution_model="linear",
        converted_at=now,
    )
    assert sorted(row.weight for row in conversion.attributions.all()) == [Decimal("0.5")] * 2
    services.conversions_contact_removed(contact)
    Contact.objects.filter(pk=contact.pk).delete()
    services.campaign_delete(campaign=first)
    rows = list(Conversion.objects.get(pk=conversion.pk).attributions.all())
    assert [(row.campaign_id, row.weight, row.revenue) for row in rows] == [(second.pk, Decimal(1), Decimal("10.01"))]


def test_emptying_an_explicit_target_of_a_conversion_without_contact_drops_its_credit(organization):
    campaign = services.campaign_create(organization=organization, name="Explicit")
    conversion, _ = services.conversion_create(organization=organization, revenue=Decimal("5.00"), campaign=campaign)
    services.conversion_update(conversion=conversion, campaign=None)
    assert not Conversion.objects.get(pk=conversion.pk).attributions.exists()
