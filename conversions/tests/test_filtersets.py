"""The conversions FilterSets used directly: each filter's rows, its limits (valid or a form error), and the tenancy
of the filters that name another row (``contact_id``, ``campaign_id``, ``delivery_id``): only rows of the
requesting key's organization can be chosen; another organization's id, an unknown one or no request is an error.

Through the API (the 400 envelope): ``test_api_<resource>.py``.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from contacts.tests.factories import ContactFactory
from conversions.filtersets import (
    CampaignFilterSet,
    ConversionFilterSet,
    DeliveryFilterSet,
    ExchangeRateFilterSet,
    TouchpointFilterSet,
)
from conversions.models import Conversion, ExchangeRate
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory, ExchangeRateFactory, TouchpointFactory

NIL_UUID = "00000000-0000-0000-0000-000000000000"


def request_of(organization):
    """What a FilterSet reads from a request: the API key's organization (``request.user.organization``)."""
    return SimpleNamespace(user=SimpleNamespace(organization=organization))


def filtered(filterset_class, organization=None, **data) -> set:
    model = filterset_class._meta.model
    request = request_of(organization) if organization is not None else None
    filterset = filterset_class(data=data, queryset=model.objects.all(), request=request)
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs)


def errors(filterset_class, organization=None, **data) -> dict:
    model = filterset_class._meta.model
    request = request_of(organization) if organization is not None else None
    filterset = filterset_class(data=data, queryset=model.objects.all(), request=request)
    assert not filterset.is_valid()
    return filterset.errors


# --- Campaigns -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_campaign_filters(organization):
    now = timezone.now()
    sent = CampaignFactory(organization=organization, status="sent", language="en", sent_at=now - timedelta(days=1))
    draft = CampaignFactory(organization=organization, status="draft", language="cs")
    assert filtered(CampaignFilterSet) == {sent, draft}
    assert filtered(CampaignFilterSet, status="draft") == {draft}
    assert filtered(CampaignFilterSet, language=" EN ") == {sent}
    assert filtered(CampaignFilterSet, sent_after=(now - timedelta(days=2)).isoformat()) == {sent}
    assert filtered(CampaignFilterSet, sent_before=(now - timedelta(days=2)).isoformat()) == set()
    assert filtered(CampaignFilterSet, created_before=(now - timedelta(days=1)).isoformat()) == set()
    assert filtered(CampaignFilterSet, created_after=(now - timedelta(days=1)).isoformat()) == {sent, draft}
    assert "status" in errors(CampaignFilterSet, status="lost")


# --- Deliveries ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delivery_filters_and_the_tenancy_of_campaign_id(organization, other_organization):
    campaign = CampaignFactory(organization=organization)
    welcome = DeliveryFactory(organization=organization, kind="smartflow", language="cs")
    send = DeliveryFactory(organization=organization, kind="campaign", campaign=campaign, language="en")
    assert filtered(DeliveryFilterSet, organization, kind="campaign") == {send}
    assert filtered(DeliveryFilterSet, organization, language="CS") == {welcome}
    assert filtered(DeliveryFilterSet, organization, campaign_id=str(campaign.pk)) == {send}
    assert "kind" in errors(DeliveryFilterSet, organization, kind="flow")
    foreign = CampaignFactory(organization=other_organization)
    for value in (str(foreign.pk), NIL_UUID, "not-a-uuid"):
        assert "campaign_id" in errors(DeliveryFilterSet, organization, campaign_id=value)
    # Without a request there is no organization: no campaign can be chosen, not even one's own.
    assert "campaign_id" in errors(DeliveryFilterSet, campaign_id=str(campaign.pk))
    assert filtered(DeliveryFilterSet, other_organization, campaign_id=str(foreign.pk)) == set()


# --- Touchpoints -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_touchpoint_filters(organization):
    now = timezone.now()
    jane, john = ContactFactory(organization=organization), ContactFactory(organization=organization)
    campaign = CampaignFactory(organization=organization)
    campaign_delivery = DeliveryFactory(organization=organization, campaign=campaign)
    lone = DeliveryFactory(organization=organization)
    on_campaign = TouchpointFactory(
        organization=organization, contact=jane, campaign=campaign, kind="open", occurred_at=now - timedelta(days=2)
    )
    on_its_delivery = TouchpointFactory(
        organization=organization, contact=jane, delivery=campaign_delivery, occurred_at=now - timedelta(days=1)
    )
    on_lone = TouchpointFactory(
        organization=organization, contact=john, delivery=lone, kind="delivered", occurred_at=now - timedelta(hours=1)
    )
    assert filtered(TouchpointFilterSet, organization, contact_id=str(john.pk)) == {on_lone}
    # A touch on a delivery of the campaign is a touch on the campaign.
    assert filtered(TouchpointFilterSet, organization, campaign_id=str(campaign.pk)) == {on_campaign, on_its_delivery}
    assert filtered(TouchpointFilterSet, organization, delivery_id=str(lone.pk)) == {on_lone}
    assert filtered(TouchpointFilterSet, organization, kind="open") == {on_campaign}
    boundary = (now - timedelta(days=1, hours=12)).isoformat()
    assert filtered(TouchpointFilterSet, organization, occurred_after=boundary) == {on_its_delivery, on_lone}
    assert filtered(TouchpointFilterSet, organization, occurred_before=boundary) == {on_campaign}
    assert "kind" in errors(TouchpointFilterSet, organization, kind="bounce")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["contact_id", "campaign_id", "delivery_id"])
def test_touchpoint_reference_filters_accept_only_the_organizations_rows(organization, other_organization, name):
    factories = {"contact_id": ContactFactory, "campaign_id": CampaignFactory, "delivery_id": DeliveryFactory}
    mine = factories[name](organization=organization)
    theirs = factories[name](organization=other_organization)
    assert filtered(TouchpointFilterSet, organization, **{name: str(mine.pk)}) == set()
    for value in (str(theirs.pk), NIL_UUID, "not-a-uuid"):
        assert name in errors(TouchpointFilterSet, organization, **{name: value})
    assert name in errors(TouchpointFilterSet, **{name: str(mine.pk)})  # no request: no organization


# --- Conversions -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_conversion_filters(organization, world):
    explicit, computed, uncredited = (world[name] for name in ("explicit", "computed", "uncredited"))
    six_days_ago = (timezone.now() - timedelta(days=6)).isoformat()
    cases = {
        "contact_id": (str(world["jane"].pk), {explicit}),
        "type": ("signup", {computed}),
        "status": ("refunded", {uncredited}),
        "currency": ("usd", {computed}),
        "country": ("de ", {computed}),
        "origin": ("website", {explicit}),
        "order_id": ("ORD-200", {computed}),
        "revenue_min": ("50", {explicit, uncredited}),  # inclusive
        "revenue_max": ("50.00", {computed, uncredited}),  # inclusive
        "converted_after": (six_days_ago, {computed, uncredited}),
        "converted_before": (six_days_ago, {explicit}),
        "campaign_id": (str(world["campaign"].pk), {explicit}),  # credit to its delivery counts for the campaign
        "delivery_id": (str(world["lone_delivery"].pk), {computed}),  # computed credit counts too
    }
    for name, (value, expected) in cases.items():
        assert filtered(ConversionFilterSet, organization, **{name: value}) == expected, name
    assert filtered(ConversionFilterSet, organization, type="purchase", status="approved") == {explicit}
    assert filtered(ConversionFilterSet, organization) == {explicit, computed, uncredited}


@pytest.mark.django_db
def test_linear_credit_lists_a_conversion_once(organization):
    contact = ContactFactory(organization=organization)
    delivery, other = DeliveryFactory(organization=organization), DeliveryFactory(organization=organization)
    now = timezone.now()
    for hours in (1, 2, 3):
        TouchpointFactory(
            organization=organization, contact=contact, delivery=delivery, occurred_at=now - timedelta(hours=hours)
        )
    TouchpointFactory(organization=organization, contact=contact, delivery=other, occurred_at=now - timedelta(hours=4))
    conversion, _ = conversion_create(organization=organization, contact=contact, attribution_model="linear")
    assert conversion.attributions.count() == 2
    filterset = ConversionFilterSet(
        data={"delivery_id": str(delivery.pk)}, queryset=Conversion.objects.all(), request=request_of(organization)
    )
    assert filterset.is_valid()
    assert list(filterset.qs) == [conversion]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("type", "sale"),
        ("status", "lost"),
        ("converted_after", "yesterday"),
        ("converted_before", "2025-13-01T00:00:00Z"),
        ("converted_after", "0001-01-01T00:00:00+01:00"),
        ("converted_before", "9999-12-31T23:59:59-01:00"),
        ("created_after", "9999-12-31T23:59:59-01:00"),
        ("revenue_min", "ten"),
        ("revenue_max", "1e"),
    ],
)
def test_conversion_filter_values_are_validated(organization, name, value):
    assert name in errors(ConversionFilterSet, organization, **{name: value})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_conversion_time_filters_just_inside_the_range_are_valid(organization, value):
    for name in ("converted_after", "converted_before", "created_after", "created_before"):
        assert filtered(ConversionFilterSet, organization, **{name: value}) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["contact_id", "campaign_id", "delivery_id"])
def test_conversion_reference_filters_refuse_other_organizations_and_unknown_ids(
    organization, other_organization, world, name
):
    factories = {"contact_id": ContactFactory, "campaign_id": CampaignFactory, "delivery_id": DeliveryFactory}
    theirs = factories[name](organization=other_organization)
    for value in (str(theirs.pk), NIL_UUID, "not-a-uuid"):
        assert name in errors(ConversionFilterSet, organization, **{name: value})
    # The other organization chooses its own row, and sees none of the first organization's conversions.
    assert filtered(ConversionFilterSet, other_organization, **{name: str(theirs.pk)}) == set()


# --- Exchange rates --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_exchange_rate_filters():
    first = ExchangeRateFactory(currency="USD", date=date(2025, 1, 2), rate=Decimal("1.03"))
    second = ExchangeRateFactory(currency="USD", date=date(2025, 1, 3), rate=Decimal("1.04"))
    koruna = ExchangeRateFactory(currency="CZK", date=date(2025, 1, 3), rate=Decimal("25.1"))
    assert filtered(ExchangeRateFilterSet, currency=" usd") == {first, second}
    assert filtered(ExchangeRateFilterSet, date="2025-01-03") == {second, koruna}
    assert filtered(ExchangeRateFilterSet, date_after="2025-01-03", currency="USD") == {second}
    assert filtered(ExchangeRateFilterSet, date_before="2025-01-02") == {first}  # inclusive
    assert "date" in errors(ExchangeRateFilterSet, date="someday")
    assert "date_after" in errors(ExchangeRateFilterSet, date_after="2025-02-30")
    assert ExchangeRate.objects.count() == 3
