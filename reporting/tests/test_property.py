"""Property: whatever the writes, the drained rollups equal a recount and every report equals the raw-only one."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts.services import contact_create
from conversions.models import Conversion
from conversions.services import (
    campaign_create,
    conversion_create,
    conversion_delete,
    conversion_update,
    delivery_create,
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
        if kind == "update":
            conversion_update(conversion=conversion, **_values(step[2], contacts, deliveries))
        elif kind == "status":
            conversion_update(conversion=conversion, status=step[2])
        else:
            conversion_delete(conversion=conversion)


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
        transaction.set_rollback(True)
