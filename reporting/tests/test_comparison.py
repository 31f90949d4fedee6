"""The attribution model comparison: each model's column is what storing that model would credit, totals agree,
explicit credit stays out, the rollup equals a recount, parameters, tenancy and query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AttributionModel
from contacts.services import contact_create
from conversions.models import Conversion, Touchpoint
from conversions.services import (
    campaign_create,
    campaign_delete,
    conversion_create,
    conversion_delete,
    conversions_reattribute,
    delivery_create,
    touchpoints_bulk_create,
)
from reporting import services
from reporting.aggregation import Filters
from reporting.comparison import ComparisonFigures, attribution_comparison, comparison_models
from reporting.models import ComparisonRollup
from reporting.selectors import ReadMode, ReportQuery, conversions_top_targets, conversions_totals

from .conftest import local

BASE = "/reporting/v1/attribution/comparison"
DAYS = [date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)]  # across the spring DST change
FIRST, LAST = DAYS[0], DAYS[-1]
RANGE = {"dateFrom": FIRST.isoformat(), "dateTo": LAST.isoformat()}
ALL_STATUSES = ("approved", "pending", "rejected", "refunded")

money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
touch = st.fixed_dictionaries(
    {
        "contact": st.integers(0, 2),
        "target": st.integers(0, 3),  # campaign, delivery in campaign, lone delivery, campaign + delivery
        "kind": st.sampled_from(["open", "click", "delivered"]),
        "hours_before": st.integers(-30, 24 * 12),  # negative: after the conversion day's noon
    }
)
journey_conversion = st.fixed_dictionaries(
    {
        "day": st.sampled_from(DAYS),
        "hour": st.integers(0, 23),
        "contact": st.integers(0, 3),  # 3 = none
        "currency": st.sampled_from(["EUR", "CZK", "PLN"]),  # PLN has no rate: unknown reference amount
        "revenue": money,
        "count": st.integers(1, 3),
        "window": st.sampled_from([1, 3, 7, 30]),
        "explicit": st.booleans(),
        "model": st.sampled_from(AttributionModel.values),
        "status": st.sampled_from(["approved", "pending"]),
    }
)


@pytest.fixture
def world(organization, rates):
    contacts = [contact_create(organization=organization, email=f"c{index}@example.com") for index in range(3)]
    campaign = campaign_create(organization=organization, name="Spring")
    other_campaign = campaign_create(organization=organization, name="Other")
    deliveries = [
        delivery_create(organization=organization, name="In Spring", campaign=campaign),
        delivery_create(organization=organization, name="Lone"),
    ]
    return organization, contacts, (campaign, other_campaign), deliveries


def _target(index, campaigns, deliveries) -> dict:
    return [
        {"campaign": campaigns[1]},
        {"delivery": deliveries[0]},
        {"delivery": deliveries[1]},
        {"campaign": campaigns[0], "delivery": deliveries[1]},
    ][index]


def _load(world, touches, conversions) -> None:
    organization, contacts, campaigns, deliveries = world
    noon = local(DAYS[1], 12)
    touchpoints_bulk_create(
        organization=organization,
        touchpoints=[
            {
                "contact": contacts[item["contact"]],
                "kind": item["kind"],
                "occurred_at": noon - timedelta(hours=item["hours_before"]),
                **_target(item["target"], campaigns, deliveries),
            }
            for item in touches
        ],
    )
    for item in conversions:
        conversion_create(
            organization=organization,
            converted_at=local(item["day"], item["hour"], 15),
            contact=contacts[item["contact"]] if item["contact"] < len(contacts) else None,
            currency=item["currency"],
            revenue=item["revenue"],
            revenue_without_tax=(item["revenue"] / 2).quantize(Decimal("0.01")),
            count=item["count"],
            attribution_window=item["window"],
            attribution_model=item["model"],
            delivery=deliveries[0] if item["explicit"] else None,
            status=item["status"],
        )


def _stored_credit_of(organization, model, target) -> dict:
    """What the credited report (per campaign or delivery) says after storing ``model`` on every conversion."""
    Conversion.objects.for_organization(organization).update(attribution_model=model)
    conversions_reattribute(
        conversion_ids=Conversion.objects.for_organization(organization).values_list("pk", flat=True)
    )
    query = ReportQuery(organization, FIRST, LAST, Filters(statuses=ALL_STATUSES))
    rows = conversions_top_targets(query, target=target, limit=10_000, mode=ReadMode.RAW, with_contacts=False)
    return {row.key: (row.number, row.amount_with_tax, row.amount_without_tax) for row in rows}


def _column(comparison, model, target) -> dict:
    rows = comparison.campaigns if target == "campaign" else comparison.deliveries
    return {
        row.target_id: (
            row.by_model[model].number,
            row.by_model[model].amount_with_tax,
            row.by_model[model].amount_without_tax,
        )
        for row in rows
        if row.by_model[model] != ComparisonFigures()
    }


def _non_explicit_only(organization):
    """The credited report counts explicit credit too; drop those conversions so both sides cover the same ones."""
    explicit = Conversion.objects.for_organization(organization).exclude(campaign__isnull=True, delivery__isnull=True)
    for conversion in explicit:
        conversion_delete(conversion=conversion)


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    touches=st.lists(touch, max_size=8),
    conversions=st.lists(journey_conversion, min_size=1, max_size=6),
    drained=st.booleans(),
)
def test_each_models_column_is_what_storing_that_model_would_credit(world, touches, conversions, drained):
    organization = world[0]
    with transaction.atomic():
        _load(world, touches, conversions)
        if drained:
            services.rollup_drain()
        query = ReportQuery(organization, FIRST, LAST, Filters(statuses=ALL_STATUSES))
        comparison = attribution_comparison(query, models=comparison_models())
        assert comparison.totals_equal
        # Totals + uncredited = the range's conversions without explicit credit, under every model.
        _non_explicit_only(organization)
        whole = conversions_totals(query, mode=ReadMode.RAW)
        for model in comparison.models:
            total, rest = comparison.totals[model], comparison.uncredited
            assert total.amount_with_tax + rest.amount_with_tax == whole.amount_with_tax
            assert total.amount_without_tax + rest.amount_without_tax == whole.amount_without_tax
        # Explicit-credit conversions were not in the comparison: deleting them changes nothing.
        services.rollup_drain()
        assert attribution_comparison(query, models=comparison_models()) == comparison
        for model in comparison.models:
            for target in ("campaign", "delivery"):
                assert _column(comparison, model, target) == _stored_credit_of(organization, model, target)
        # The rollup (drained after the re-attributions marked every day) equals a recount.
        services.rollup_drain()
        assert services.rollup_repair(organization_id=organization.pk, since=FIRST, until=LAST) == []
        assert attribution_comparison(query, models=comparison_models()) == comparison
        transaction.set_rollback(True)


def _journey(world):
    """Contact 0: an open of the Other campaign 3 days before, a click of the Spring delivery 1 day before a 100 EUR
    conversion; contact 1: a 50 EUR conversion without touches; contact 2: an explicit 70 EUR conversion."""
    organization, contacts, campaigns, deliveries = world
    noon = local(DAYS[1], 12)
    touchpoints_bulk_create(
        organization=organization,
        touchpoints=[
            {"contact": contacts[0], "kind": "open", "occurred_at": noon - timedelta(days=3), "campaign": campaigns[1]},
            {
                "contact": contacts[0],
                "kind": "click",
                "occurred_at": noon - timedelta(days=1),
                "delivery": deliveries[0],
            },
            {
                "contact": contacts[2],
                "kind": "click",
                "occurred_at": noon - timedelta(days=1),
                "delivery": deliveries[1],
            },
        ],
    )
    common = {"organization": organization, "converted_at": noon, "currency": "EUR"}
    conversion_create(contact=contacts[0], revenue=Decimal("100.00"), **common)
    conversion_create(contact=contacts[1], revenue=Decimal("50.00"), **common)
    conversion_create(contact=contacts[2], revenue=Decimal("70.00"), delivery=deliveries[1], **common)


@pytest.mark.django_db
@pytest.mark.parametrize("drained", [False, True])
def test_the_answer(api, world, drained):
    _journey(world)
    if drained:
        services.rollup_drain()
    _, _, campaigns, deliveries = world
    answer = api.get(BASE, RANGE).json()
    assert answer["currency"] == "EUR" and answer["models"] == comparison_models()
    by_campaign = {row["name"]: row["byModel"] for row in answer["campaigns"]}
    assert by_campaign["Spring"]["last_touch"] == {
        "conversionsNumber": 1, "conversionsAmountWTax": 100, "conversionsAmountWoTax": 100
    }  # fmt: skip
    assert by_campaign["Other"]["first_touch"]["conversionsAmountWTax"] == 100
    assert by_campaign["Other"]["last_touch"]["conversionsNumber"] == 0
    assert by_campaign["Spring"]["linear"] == {
        "conversionsNumber": 0.5, "conversionsAmountWTax": 50, "conversionsAmountWoTax": 50
    }  # fmt: skip
    assert [row["deliveryId"] for row in answer["deliveries"]] == [str(deliveries[0].pk)]  # the explicit one is out
    assert answer["campaigns"][0]["campaignId"] in {str(campaigns[0].pk), str(campaigns[1].pk)}
    for model in comparison_models():
        assert answer["totals"][model] == {
            "conversionsNumber": 1, "conversionsAmountWTax": 100, "conversionsAmountWoTax": 100
        }  # fmt: skip
    assert answer["totalsEqual"] is True
    assert answer["uncredited"] == {"conversionsNumber": 1, "conversionsAmountWTax": 50, "conversionsAmountWoTax": 50}


@pytest.mark.django_db
def test_models_parameter(api, world):
    _journey(world)
    subset = api.get(BASE, {"models": "linear,first_touch,linear", **RANGE}).json()
    assert subset["models"] == ["linear", "first_touch"]
    assert set(subset["totals"]) == {"linear", "first_touch"}
    assert all(set(row["byModel"]) == {"linear", "first_touch"} for row in subset["campaigns"])
    assert api.get(BASE, {"models": "", **RANGE}).json()["models"] == comparison_models()
    for bad in ("nearest_touch", "linear,,first_touch", "LINEAR"):
        response = api.get(BASE, {"models": bad, **RANGE})
        assert response.status_code == 400, bad
        assert "models" in response.json()["error"]["fields"]
    unknown = api.get(BASE, {"models": "linear,nearest_touch"}).json()
    assert "nearest_touch" in str(unknown["error"]["fields"]["models"])
    for parameter in ("campaignId", "deliveryId", "sort"):
        assert api.get(BASE, {parameter: "x"}).status_code == 400
    assert api.get(BASE, {"dateFrom": "2024-04-02", "dateTo": "2024-04-01"}).status_code == 400


@pytest.mark.django_db
def test_filters_apply(api, world):
    _journey(world)
    assert api.get(BASE, {"currency": "CZK", **RANGE}).json()["totals"]["linear"]["conversionsNumber"] == 0
    assert api.get(BASE, {"status": "pending", **RANGE}).json()["campaigns"] == []
    services.rollup_drain()
    assert api.get(BASE, {"currency": "EUR", **RANGE}).json()["totals"]["linear"]["conversionsAmountWTax"] == 100


@pytest.mark.django_db
def test_tenancy(api, other_api, world):
    _journey(world)
    services.rollup_drain()
    other = other_api.get(BASE, RANGE).json()
    assert other["campaigns"] == other["deliveries"] == []
    assert other["uncredited"]["conversionsNumber"] == 0 and other["currency"] == "USD"
    assert api.get(BASE, RANGE).json()["campaigns"]


@pytest.mark.django_db
def test_query_count_is_bounded(api, world, django_assert_max_num_queries):
    _journey(world)
    api.get(BASE, RANGE)  # the key's last_used_at is written at most once a minute: do it now
    with django_assert_max_num_queries(12):
        dirty = api.get(BASE, RANGE).json()
    services.rollup_drain()
    with django_assert_max_num_queries(8):
        assert api.get(BASE, RANGE).json() == dirty


@pytest.mark.django_db
def test_a_deleted_campaign_moves_other_models_credit_on_the_next_drain(world):
    organization, _, campaigns, _ = world
    _journey(world)
    services.rollup_drain()
    campaign_delete(campaign=campaigns[1])  # stored last-touch credit (Spring) does not move; first touch does
    query = ReportQuery(organization, FIRST, LAST)
    comparison = attribution_comparison(query, models=["first_touch"])
    assert [row.name for row in comparison.campaigns] == ["Spring"]
    services.rollup_drain()
    assert attribution_comparison(query, models=["first_touch"]) == comparison
    assert services.rollup_repair(organization_id=organization.pk, since=FIRST, until=LAST) == []


@pytest.mark.django_db
def test_a_late_touchpoint_rebuilds_the_comparison(world):
    organization, contacts, campaigns, _ = world
    _journey(world)
    services.rollup_drain()
    touchpoints_bulk_create(
        organization=organization,
        touchpoints=[
            {"contact": contacts[0], "kind": "open", "occurred_at": local(DAYS[1], 12) - timedelta(days=5),
             "campaign": campaigns[0]},
        ],
    )  # fmt: skip
    conversions_reattribute(conversion_ids=Conversion.objects.values_list("pk", flat=True))  # what the task does
    query = ReportQuery(organization, FIRST, LAST)
    first_touch = attribution_comparison(query, models=["first_touch"])
    assert [row.name for row in first_touch.campaigns] == ["Spring"]
    services.rollup_drain()
    assert attribution_comparison(query, models=["first_touch"]) == first_touch
    assert ComparisonRollup.objects.filter(organization=organization).exists()
    assert Touchpoint.objects.count() == 4
