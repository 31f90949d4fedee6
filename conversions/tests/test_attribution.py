from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import AttributionModel
from contacts.models import Contact
from conversions.attribution import Candidate, choose_credit, split_money
from conversions.models import Attribution, Conversion
from conversions.services import (
    conversion_create,
    conversions_reattribute,
    conversions_revalue,
    exchange_rate_set,
    touchpoint_create,
    touchpoint_delete,
    touchpoints_bulk_create,
)
from conversions.tests.factories import CampaignFactory, DeliveryFactory

BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TARGETS = ["c1", "c2", "c3", "d1", "d2"]

candidates = st.lists(
    st.builds(
        Candidate,
        occurred_at=st.integers(0, 10_000).map(lambda minutes: BASE + timedelta(minutes=minutes)),
        sort_key=st.uuids().map(str),
        campaign_id=st.sampled_from(TARGETS),
        delivery_id=st.sampled_from([None, "d1", "d2"]),
    ),
    max_size=12,
)
amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2)


@given(st.sampled_from(AttributionModel.values), candidates, amounts)
def test_weights_sum_to_one_and_money_to_the_cent(model, touches, amount):
    credit = choose_credit(model, touches)
    if not touches:
        assert credit == []
        return
    weights = [item.weight for item in credit]
    assert sum(weights) == 1
    assert all(weight > 0 for weight in weights)
    assert len({(item.campaign_id, item.delivery_id) for item in credit}) == len(credit)
    parts = split_money(amount, weights)
    assert sum(parts) == amount
    assert all(part >= 0 and part == part.quantize(Decimal("0.01")) for part in parts)


@given(candidates.filter(bool))
def test_first_and_last_touch_pick_the_extremes(touches):
    ordered = sorted(touches, key=lambda touch: (touch.occurred_at, touch.sort_key))
    (first,) = choose_credit(AttributionModel.FIRST_TOUCH, touches)
    (last,) = choose_credit(AttributionModel.LAST_TOUCH, touches)
    assert (first.campaign_id, first.delivery_id, first.weight) == (ordered[0].campaign_id, ordered[0].delivery_id, 1)
    assert (last.campaign_id, last.delivery_id, last.weight) == (ordered[-1].campaign_id, ordered[-1].delivery_id, 1)


@given(st.integers(1, 40))
def test_linear_splits_equally_among_touchpoints(how_many):
    touches = [Candidate(BASE + timedelta(minutes=i), str(i), f"c{i}", None) for i in range(how_many)]
    weights = [item.weight for item in choose_credit(AttributionModel.LINEAR, touches)]
    assert sum(weights) == 1
    assert max(weights) - min(weights) <= Decimal("1e-12")


def test_split_money_keeps_unknown_amounts_unknown():
    assert split_money(None, [Decimal("0.5"), Decimal("0.5")]) == [None, None]


@pytest.fixture
def contact(organization):
    return Contact.objects.create(organization=organization, email="buyer@example.com")


def _touch(organization, contact, occurred_at, **target):
    return touchpoint_create(
        organization=organization, contact=contact, kind="click", occurred_at=occurred_at, **target
    )


def _convert(organization, contact, **fields):
    fields.setdefault("converted_at", BASE)
    return conversion_create(organization=organization, contact=contact, revenue="100.00", **fields)[0]


def _credit(conversion):
    return sorted(
        (str(a.campaign_id), str(a.delivery_id), a.weight, a.revenue)
        for a in Attribution.objects.filter(conversion=conversion)
    )


@pytest.mark.django_db
def test_window_bounds_are_inclusive(organization, contact):
    inside_start, at_conversion, just_outside = CampaignFactory.create_batch(3, organization=organization)
    _touch(organization, contact, BASE - timedelta(days=7), campaign=inside_start)
    _touch(organization, contact, BASE, campaign=at_conversion)
    _touch(organization, contact, BASE - timedelta(days=7, microseconds=1), campaign=just_outside)
    _touch(organization, contact, BASE + timedelta(microseconds=1), campaign=just_outside)
    conversion = _convert(organization, contact, attribution_model="linear", attribution_window=7)
    credited = {a.campaign_id for a in conversion.attributions.all()}
    assert credited == {inside_start.pk, at_conversion.pk}


@pytest.mark.django_db
def test_only_opens_and_clicks_are_candidates(organization, contact):
    campaign = CampaignFactory(organization=organization)
    touchpoint_create(organization=organization, contact=contact, campaign=campaign, kind="delivered", occurred_at=BASE)
    assert _credit(_convert(organization, contact)) == []


@pytest.mark.django_db
def test_explicit_attribution_always_wins(organization, contact):
    touched, chosen = CampaignFactory.create_batch(2, organization=organization)
    _touch(organization, contact, BASE - timedelta(hours=1), campaign=touched)
    conversion = _convert(organization, contact, campaign=chosen)
    assert _credit(conversion) == [(str(chosen.pk), "None", Decimal(1), Decimal("100.00"))]


@pytest.mark.django_db
def test_credit_to_a_delivery_counts_for_its_campaign(organization, contact):
    campaign = CampaignFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization, campaign=campaign)
    _touch(organization, contact, BASE - timedelta(hours=1), delivery=delivery)
    conversion = _convert(organization, contact)
    assert _credit(conversion) == [(str(campaign.pk), str(delivery.pk), Decimal(1), Decimal("100.00"))]


@pytest.mark.django_db
def test_a_late_click_reattributes_and_deleting_it_removes_the_credit(
    organization, contact, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(organization=organization)
    conversion = _convert(organization, contact)
    assert _credit(conversion) == []
    with django_capture_on_commit_callbacks(execute=True):
        click = _touch(organization, contact, BASE - timedelta(days=1), delivery=delivery)
    assert _credit(conversion) == [("None", str(delivery.pk), Decimal(1), Decimal("100.00"))]
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_delete(touchpoint=click)
    assert _credit(conversion) == []


@pytest.mark.django_db
def test_reattribution_twice_gives_the_same_rows(organization, contact):
    campaigns = CampaignFactory.create_batch(3, organization=organization)
    for hours, campaign in enumerate(campaigns, start=1):
        _touch(organization, contact, BASE - timedelta(hours=hours), campaign=campaign)
    conversion = _convert(organization, contact, attribution_model="linear")
    first = _credit(conversion)
    conversions_reattribute(conversion_ids=[conversion.pk])
    conversions_reattribute(conversion_ids=[conversion.pk])
    assert _credit(conversion) == first
    assert sum(row[2] for row in first) == 1 and sum(row[3] for row in first) == Decimal("100.00")


@pytest.mark.django_db
def test_revaluation_twice_gives_the_same_rows(organization, contact):
    campaign = CampaignFactory(organization=organization)
    conversion = _convert(organization, contact, currency="CZK", campaign=campaign)
    exchange_rate_set(currency="CZK", on_date=conversion.converted_date, rate=Decimal("25"))
    assert conversions_revalue(currency="CZK", since=conversion.converted_date) == 1
    assert conversions_revalue(currency="CZK", since=conversion.converted_date) == 0
    conversion.refresh_from_db()
    assert conversion.reference_revenue == Decimal("4.00")
    assert Attribution.objects.get(conversion=conversion).reference_revenue == Decimal("4.00")
    assert Conversion.objects.count() == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9 * 24), st.sampled_from(["open", "click"])), max_size=6))
@pytest.mark.django_db
def test_stored_credit_matches_the_rules_for_any_touch_history(touches):
    from accounts.services import organization_create

    organization = organization_create(slug=f"p{len(touches)}-{abs(hash(tuple(touches)))}", name="Property")
    contact = Contact.objects.create(organization=organization, email="p@example.com")
    campaigns = CampaignFactory.create_batch(3, organization=organization)
    for index, (hours_before, kind) in enumerate(touches):
        touchpoint_create(
            organization=organization,
            contact=contact,
            campaign=campaigns[index % 3],
            kind=kind,
            occurred_at=BASE - timedelta(hours=hours_before),
        )
    conversion = _convert(organization, contact, attribution_model="linear", revenue_without_tax="80.00")
    rows = list(conversion.attributions.all())
    in_window = [t for t in touches if t[0] <= 7 * 24]
    if not in_window:
        assert rows == []
        return
    assert sum(row.weight for row in rows) == 1
    assert sum(row.revenue for row in rows) == Decimal("100.00")
    assert sum(row.revenue_without_tax for row in rows) == Decimal("80.00")


@pytest.mark.django_db
def test_a_bulk_touchpoint_load_reattributes_in_batched_tasks(
    organization, contact, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(organization=organization)
    conversions = [_convert(organization, contact, converted_at=BASE - timedelta(days=day)) for day in range(3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        touchpoints_bulk_create(
            organization=organization,
            touchpoints=[
                {
                    "contact": contact,
                    "delivery": delivery,
                    "kind": "open",
                    "occurred_at": BASE - timedelta(days=day, hours=1),
                }
                for day in range(3)
            ],
        )
    assert len(callbacks) == 1
    for conversion in conversions:
        assert _credit(conversion) == [("None", str(delivery.pk), Decimal(1), Decimal("100.00"))]
