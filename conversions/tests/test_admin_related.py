"""Campaign, delivery, touchpoint and exchange-rate admin: written through the services, scoped."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from conversions.models import Attribution, Campaign, Delivery, ExchangeRate, Touchpoint
from conversions.services import campaign_create, delivery_create, touchpoint_create
from conversions.tests.admin_helpers import change_url, make_conversion

# --- Campaigns, deliveries, touchpoints, exchange rates --------------------------------------------------------------


@pytest.mark.django_db
def test_campaign_and_delivery_admin_write_through_services(admin_a, organization, other_organization):
    response = admin_a.post(
        reverse("admin:conversions_campaign_add"), {"name": "Autumn", "status": "draft", "language": "CS"}
    )
    assert response.status_code == 200
    assert "is not an ISO 639-1 language code" in response.content.decode()
    response = admin_a.post(
        reverse("admin:conversions_campaign_add"), {"name": "Autumn", "status": "draft", "language": "cs"}
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Autumn")
    assert campaign.organization == organization
    delivery_url = reverse("admin:conversions_delivery_add")
    response = admin_a.post(delivery_url, {"name": "Flow", "kind": "smartflow", "campaign": str(campaign.pk)})
    assert response.status_code == 302
    assert Delivery.objects.get(name="Flow").campaign == campaign
    theirs = campaign_create(organization=other_organization, name="Theirs")
    response = admin_a.post(delivery_url, {"name": "Bad", "kind": "smartflow", "campaign": str(theirs.pk)})
    assert response.status_code == 200 and not Delivery.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_moving_a_delivery_to_another_campaign_moves_its_credit(admin_a, organization):
    first = campaign_create(organization=organization, name="First")
    second = campaign_create(organization=organization, name="Second")
    delivery = delivery_create(organization=organization, name="Flow", campaign=first)
    conversion = make_conversion(organization, order_id="D-1", delivery=delivery)
    response = admin_a.post(
        change_url(delivery), {"name": "Flow", "kind": "smartflow", "campaign": str(second.pk), "language": ""}
    )
    assert response.status_code == 302
    assert list(conversion.attributions.values_list("campaign_id", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_deleting_a_campaign_in_the_admin_reattributes(admin_a, organization):
    campaign = campaign_create(organization=organization, name="Gone")
    conversion = make_conversion(organization, order_id="G-1", campaign=campaign)
    delete_url = reverse("admin:conversions_campaign_delete", args=[campaign.pk])
    assert admin_a.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Attribution.objects.filter(conversion=conversion).exists()


@pytest.mark.django_db
def test_touchpoint_admin_is_scoped_and_uses_the_service(
    admin_a, admin_b, organization, conversion_a, django_capture_on_commit_callbacks
):
    delivery = delivery_create(organization=organization, name="Flow")
    when = conversion_a.converted_at - timedelta(hours=1)
    local = timezone.localtime(when, organization.zone)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_a.post(
            reverse("admin:conversions_touchpoint_add"),
            {
                "contact": str(conversion_a.contact_id),
                "kind": "click",
                "delivery": str(delivery.pk),
                "occurred_at_0": f"{local:%Y-%m-%d}",
                "occurred_at_1": f"{local:%H:%M:%S}",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    touchpoint = Touchpoint.objects.get()
    # The service enqueued the late re-attribution (run eagerly in tests).
    assert list(conversion_a.attributions.values_list("delivery_id", flat=True)) == [delivery.pk]
    assert admin_b.get(change_url(touchpoint)).status_code == 302
    assert (
        str(conversion_a.contact)
        not in admin_b.get(reverse("admin:conversions_touchpoint_changelist")).content.decode()
    )
    response = admin_a.post(
        reverse("admin:conversions_touchpoint_add"),
        {
            "contact": str(conversion_a.contact_id),
            "kind": "click",
            "occurred_at_0": "2024-01-01",
            "occurred_at_1": "1:00",
        },
    )
    assert (
        response.status_code == 200
        and "A touchpoint needs a campaign_id or a delivery_id." in response.content.decode()
    )
    touchpoint_create(organization=organization, contact=conversion_a.contact, delivery=delivery, kind="open",
                      occurred_at=when)  # fmt: skip
    assert Touchpoint.objects.count() == 2


@pytest.mark.django_db
def test_exchange_rates_are_written_by_superusers_through_the_service(
    admin_root, admin_a, organization, django_capture_on_commit_callbacks
):
    conversion = make_conversion(
        organization, order_id="USD-1", currency="USD", revenue="11.00",
        converted_at=datetime(2024, 3, 5, 12, tzinfo=ZoneInfo("UTC")),
    )  # fmt: skip
    assert conversion.reference_revenue is None
    add_url = reverse("admin:conversions_exchangerate_add")
    assert admin_a.get(add_url).status_code == 403
    assert admin_a.get(reverse("admin:conversions_exchangerate_changelist")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_root.post(add_url, {"date": "2024-03-01", "currency": "usd", "rate": "1.1"})
    assert response.status_code == 302
    conversion.refresh_from_db()
    assert conversion.reference_revenue == Decimal("10.00")  # revalued by the service's task (eager in tests)
    rate = ExchangeRate.objects.get()
    response = admin_root.post(change_url(rate), {"date": "2024-03-01", "currency": "USD", "rate": "-1"})
    assert response.status_code == 200
    assert ExchangeRate.objects.get().rate == Decimal("1.1")
