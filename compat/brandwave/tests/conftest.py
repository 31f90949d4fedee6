"""Fixtures of the Brandwave adapter tests: a campaign and deliveries of organization A (the ``api`` key's) and a
campaign of organization B, a Brandwave body builder, and the adapter's URLs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversions.tests.factories import CampaignFactory, DeliveryFactory

BASE = "/compat/brandwave/v1/conversions"


def detail(pk) -> str:
    return f"{BASE}/{pk}"


def an_hour_ago(hours: int = 1) -> str:
    """A conversion time inside every default report range, as a Brandwave client sends it (ISO 8601, UTC)."""
    return (timezone.now() - timedelta(hours=hours)).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.fixture
def campaign(organization):
    return CampaignFactory(organization=organization)


@pytest.fixture
def delivery(organization, campaign):
    """A delivery of ``campaign``: credit to it counts for the campaign too."""
    return DeliveryFactory(organization=organization, campaign=campaign)


@pytest.fixture
def other_campaign(other_organization):
    return CampaignFactory(organization=other_organization)


@pytest.fixture
def body(organization, campaign):
    """``body(**changes)``: a valid Brandwave POST body (camelCase) for organization A, credited to ``campaign``."""

    def build(**changes) -> dict:
        values = {"organizationId": str(organization.pk), "sourceId": str(campaign.pk), "convertedAt": an_hour_ago()}
        values.update(changes)
        return {name: value for name, value in values.items() if value is not ...}

    return build
