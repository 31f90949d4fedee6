"""Fixtures of the conversions tests: one conversion in organization A and one in B (admin tests), and a small
world of conversions that differ in every filter (API list and FilterSet tests)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.services import conversion_create, touchpoint_create
from conversions.tests.admin_helpers import make_conversion
from conversions.tests.factories import CampaignFactory, DeliveryFactory


@pytest.fixture
def conversion_a(organization):
    return make_conversion(organization, order_id="A-1", email="buyer@acme.test", revenue="100.00")


@pytest.fixture
def conversion_b(other_organization):
    return make_conversion(other_organization, order_id="B-1", email="buyer@globex.test", revenue="7.00")


@pytest.fixture
def world(organization):
    """Two contacts, a campaign with a delivery, a lone delivery, and conversions that differ in every filter."""
    now = timezone.now()
    jane = ContactFactory(organization=organization, email="jane@example.com", country="CZ")
    john = ContactFactory(organization=organization, email="john@example.com", country="DE")
    campaign = CampaignFactory(organization=organization)
    campaign_delivery = DeliveryFactory(organization=organization, campaign=campaign)
    lone_delivery = DeliveryFactory(organization=organization)
    touchpoint_create(
        organization=organization,
        contact=john,
        delivery=lone_delivery,
        kind="click",
        occurred_at=now - timedelta(days=3),
    )

    def make(**fields):
        return conversion_create(organization=organization, **fields)[0]

    return {
        "jane": jane,
        "john": john,
        "campaign": campaign,
        "campaign_delivery": campaign_delivery,
        "lone_delivery": lone_delivery,
        # explicit credit to a delivery of the campaign
        "explicit": make(
            contact=jane, delivery=campaign_delivery, type="purchase", status="approved", revenue=Decimal("100.00"),
            currency="EUR", origin="website", order_id="ORD-100", coupon_code="SPRING",
            converted_at=now - timedelta(days=10),
        ),
        # computed credit (john clicked the lone delivery 3 days earlier)
        "computed": make(
            contact=john, type="signup", status="pending", revenue=Decimal("5.00"), currency="USD", origin="app",
            order_id="ORD-200", converted_at=now - timedelta(days=1),
        ),
        # no credit at all
        "uncredited": make(
            type="upgrade", status="refunded", revenue=Decimal("50.00"), currency="CZK", country="SK",
            converted_at=now - timedelta(days=5),
        ),
    }  # fmt: skip
