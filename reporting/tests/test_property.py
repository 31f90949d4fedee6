"""Property: whatever the writes (refunds and reversals included), the drained rollups equal a recount, every
report equals the raw-only one, and the refunded figures equal a recount of the refund ledgers."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.services import contact_create
from conversions.models import Conversion, Refund
from conversions.services import (
    campaign_create,
    conversion_create,
    conversion_delete,
    conversion_update,
    delivery_create,
    refund_create,
    refund_remaining,
)
from reporting import services
from reporting.aggregation import Filters
from reporting.models import ConversionRollup
from reporting.selectors import (
    ReadMode,
    ReportQuery,
    conversions_history,
    conversions_timeframe,
    conversions_totals,
)

from .conftest import local

DAYS = [date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)]  # across the spring DST change
FIRST, LAST = DAYS[0], DAYS[-1]

money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
conversion_fields = st.fixed_dictionaries(
    {
        "day": st.sampled_from(DAYS),
        "hour": st.integers(0, 23),
        "currency": st.sampled_from(["EUR", "CZK", "PLN"]),  # PLN has no rate: unknown reference amounts
        "status": st.sampled_from(["approved", "pending", "refunded"]),
        "type": st.sampled_from(["purchase", "signup"]),
        "country": st.sampled_from(["CZ", "SK", ""]),
        "count": st.integers(1, 3),
        "revenue": money,
        "tax_free_share": st.sampled_from([Decimal(1), Decimal("0.5")]),
        "contact": st.integers(0, 3),  # 3 = no contact
        "delivery": st.integers(0, 2),  # 2 = no explicit credit
    }
)
operation = st.one_of(
    st.tuples(st.just("create"), conversion_fields),
    st.tuples(st.just("update"), st.integers(0, 20), conversion_fields),
    st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(["approved", "pending", "rejected"])),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from([Decimal("0.3"), Decimal("0.5"), Decimal(1)])),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("drain"), st.integers(1, 3)),
)


def _values(fields, contacts, deliveries) -> dict:
    revenue = fields["revenue"]
    return {
        "converted_at": local(fields["day"], fields["hour"], 15),
        "currency": fields["currency"],
        "status": fields["status"],
        "type": fields["type"],
        "country": fields["country"],
        "count": fields["count"],
        "revenue": revenue,
        "revenue_without_tax": (revenue * fields["tax_free_share"]).quantize(Decimal("0.01")),
        "contact": contacts[fields["contact"]] if fields["contact"] < len(contacts) else None,
        "delivery": deliveries[fields["delivery"]] if fields["delivery"] < len(deliveries) else None,
    }


def _apply(step, organization, contacts, deliveries) -> None:
    kind = step[0]
    existing = list(Conversion.objects.for_organization(organization).order_by("created_at", "pk"))
    if kind == "create":
        conversion_create(organization=organization, **_values(step[1], contacts, deliveries))
    elif kind == "drain":
        services.rollup_drain(max_days=step[1])
    elif existing:
        conversion = existing[step[1] % len(existing)]
        try:
            with transaction.atomic():  # a refused write (e.g. revenue below its refunds) changes nothing
                _apply_to(kind, step, conversion, contacts, deliveries)
        except ValidationError:
            pass


def _apply_to(kind, step, conversion, contacts, deliveries) -> None:
    if kind == "update":
        conversion_update(conversion=conversion, **_values(step[2], contacts, deliveries))
    elif kind == "status":
        conversion_update(conversion=conversion, status=step[2])
    elif kind == "refund":
        amount = (refund_remaining(conversion)[0] * step[2]).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if amount > 0:
            refund_create(organization=conversion.organization, conversion=conversion, amount=amount)
    elif kind == "reverse":
        open_refunds = conversion.refunds.filter(reverses__isnull=True, reversal__isnull=True).order_by("created_at")
        if (refund := open_refunds.first()) is not None:
            refund_create(organization=conversion.organization, conversion=conversion, reverses=refund)
    else:
        conversion_delete(conversion=conversion)


def _round(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _assert_refunds_recount(organization) -> None:
    """The reports' refunded and net figures equal a recount of the ledgers, conversion by conversion."""
    statuses = ("approved", "pending", "refunded", "rejected")
    totals = conversions_totals(ReportQuery(organization, FIRST, LAST, Filters(statuses=statuses)))
    conversions = list(Conversion.objects.for_organization(organization))
    for conversion in conversions:
        ledger = list(Refund.objects.filter(conversion=conversion).values_list("amount", "amount_without_tax"))
        assert conversion.refunded_revenue == sum((amount for amount, _ in ledger), Decimal("0.00"))
        assert conversion.refunded_revenue_without_tax == sum((amount for _, amount in ledger), Decimal("0.00"))
        assert Decimal(0) <= conversion.refunded_revenue <= conversion.revenue
        if conversion.revenue > 0 and conversion.refunded_revenue == conversion.revenue:
            assert conversion.status == "refunded" and conversion.reference_net_revenue in (None, Decimal("0.00"))
        credit = list(conversion.attributions.all())
        if credit:
            assert sum(row.refunded_revenue for row in credit) == conversion.refunded_revenue
    reference_refunded = sum((c.reference_refunded_revenue or 0 for c in conversions), Decimal(0))
    reference_gross = sum((c.reference_revenue or 0 for c in conversions), Decimal(0))
    assert totals.refunded_amount_with_tax == _round(reference_refunded)
    assert totals.net_amount_with_tax == _round(reference_gross - reference_refunded)
    for row in totals.breakdown:
        mine = [c for c in conversions if c.currency == row.currency]
        assert row.refunded_amount_with_tax == _round(sum((c.refunded_revenue for c in mine), Decimal(0)))
        assert row.net_amount_without_tax == _round(sum((c.net_revenue_without_tax for c in mine), Decimal(0)))


def _reports(organization, campaign, deliveries, mode) -> list:
    statuses = ("approved", "pending", "refunded")
    reports = []
    for filters in (
        Filters(statuses=("approved",)),
        Filters(statuses=statuses, currencies=("CZK", "PLN")),
        Filters(statuses=statuses, countries=("CZ",), types=("purchase",)),
        Filters(statuses=statuses, campaign_id=campaign.pk),
        Filters(statuses=("approved",), delivery_id=deliveries[1].pk),
    ):
        query = ReportQuery(organization, FIRST, LAST, filters)
        reports.append(conversions_totals(query, mode=mode))
        reports.append(conversions_history(query, interval="day", mode=mode))
        reports.append(conversions_history(query, interval="week", mode=mode))
        reports.append(conversions_timeframe(query, by="weekday", mode=mode))
    return reports


@pytest.fixture
def world(organization, rates):
    contacts = [contact_create(organization=organization, email=f"p{index}@example.com") for index in range(3)]
    campaign = campaign_create(organization=organization, name="Campaign")
    deliveries = [
        delivery_create(organization=organization, name="In campaign", campaign=campaign),
        delivery_create(organization=organization, name="Alone"),
    ]
    return organization, contacts, campaign, deliveries


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(operation, min_size=1, max_size=12))
def test_rollups_and_reports_match_raw_rows_after_any_writes(world, steps):
    organization, contacts, campaign, deliveries = world
    with transaction.atomic():
        for step in steps:
            _apply(step, organization, contacts, deliveries)
        # Some days are dirty, some clean: the mixed read equals the raw-only read.
        assert _reports(organization, campaign, deliveries, ReadMode.AUTO) == _reports(
            organization, campaign, deliveries, ReadMode.RAW
        )
        services.rollup_drain()
        before_rerun = sorted(map(str, ConversionRollup.objects.values_list()))
        assert (
            services.rollup_repair(organization_id=organization.pk, since=FIRST - timedelta(days=1), until=LAST) == []
        )
        assert _reports(organization, campaign, deliveries, ReadMode.AUTO) == _reports(
            organization, campaign, deliveries, ReadMode.RAW
        )
        services.rollup_drain()
        assert sorted(map(str, ConversionRollup.objects.values_list())) == before_rerun
        _assert_refunds_recount(organization)
        transaction.set_rollback(True)
