"""Totals arithmetic (seed 001) on the hand-checked dataset, from rollups, from raw rows and from a mix."""

from datetime import timedelta
from decimal import Decimal

import pytest

from conversions.models import RollupMark
from conversions.tests.factories import ConversionFactory
from reporting.aggregation import Filters
from reporting.models import ConversionRollup
from reporting.selectors import ReadMode, ReportQuery, conversions_totals
from reporting.services import rollup_drain

from .conftest import DAY, local

APPROVED = Filters(statuses=("approved",))


def _totals(organization, first=DAY, last=DAY, filters=APPROVED, mode=ReadMode.AUTO):
    return conversions_totals(ReportQuery(organization, first, last, filters), mode=mode)


def _summary(totals):
    return (
        totals.number,
        totals.amount_with_tax,
        totals.amount_without_tax,
        totals.average,
        totals.unique_contacts,
        totals.average_unique,
        [
            (row.currency, row.number, row.amount_with_tax, row.average, row.reference_amount_with_tax)
            for row in totals.breakdown
        ],
    )


EXPECTED_DAY = (
    Decimal(8),
    Decimal("182.60"),
    Decimal("150.52"),
    Decimal("22.83"),  # 182.60 / 8 = 22.825, rounded half-up
    4,
    Decimal("45.65"),
    [
        ("CZK", 3, Decimal("1815.00"), Decimal("605.00"), Decimal("72.60")),
        ("HUF", 3, Decimal("4000.00"), Decimal("1333.33"), Decimal("10.00")),
        ("EUR", 1, Decimal("100.00"), Decimal("100.00"), Decimal("100.00")),
        ("PLN", 1, Decimal("10.00"), Decimal("10.00"), Decimal("0.00")),
    ],
)


@pytest.mark.django_db
def test_totals_of_dirty_days_come_from_raw_rows(organization, dataset):
    assert RollupMark.objects.filter(organization=organization, day=DAY).exists()
    assert not ConversionRollup.objects.exists()
    assert _summary(_totals(organization)) == EXPECTED_DAY


@pytest.mark.django_db
def test_totals_from_rollups_after_the_drain_are_the_same(organization, dataset):
    rollup_drain()
    assert not RollupMark.objects.exists()
    assert ConversionRollup.objects.filter(organization=organization, day=DAY).exists()
    assert _summary(_totals(organization)) == EXPECTED_DAY
    assert _summary(_totals(organization, mode=ReadMode.RAW)) == EXPECTED_DAY


@pytest.mark.django_db
def test_totals_over_a_mix_of_clean_and_dirty_days(organization, dataset):
    rollup_drain()
    ConversionFactory(organization=organization, currency="EUR", revenue="20.00", converted_at=local(DAY, 16))
    next_day = DAY + timedelta(days=1)
    assert list(RollupMark.objects.values_list("day", flat=True)) == [DAY]
    totals = _totals(organization, DAY, next_day)
    # DAY is dirty again (raw) and the next day clean (rollup): 8 + 1 + 1 conversions, 182.60 + 20 + 50 EUR;
    # the new conversion has no contact, and H's contact already converted on DAY: still 4 distinct contacts.
    assert (totals.number, totals.amount_with_tax, totals.unique_contacts) == (10, Decimal("252.60"), 4)
    assert _summary(totals) == _summary(_totals(organization, DAY, next_day, mode=ReadMode.RAW))
    eur = next(row for row in totals.breakdown if row.currency == "EUR")
    assert (eur.number, eur.amount_with_tax) == (3, Decimal("170.00"))


@pytest.mark.django_db
def test_statuses_other_than_approved_are_counted_only_when_asked(organization, dataset):
    rollup_drain()
    pending = _totals(organization, filters=Filters(statuses=("pending",)))
    assert (pending.number, pending.amount_with_tax, pending.unique_contacts) == (1, Decimal("999.00"), 1)
    several = _totals(organization, filters=Filters(statuses=("pending", "rejected")))
    assert (several.number, several.amount_with_tax, several.unique_contacts) == (2, Decimal("1076.00"), 2)


@pytest.mark.django_db
def test_filters_on_currency_country_and_type(organization, dataset):
    rollup_drain()
    czk = _totals(organization, filters=Filters(statuses=("approved",), currencies=("CZK", "HUF")))
    assert (czk.number, czk.amount_with_tax, czk.unique_contacts) == (6, Decimal("82.60"), 3)
    assert _totals(organization, filters=Filters(statuses=("approved",), countries=("SK",))).number == 0
    assert _totals(organization, filters=Filters(statuses=("approved",), types=("signup",))).number == 0
    assert _totals(organization, filters=Filters(statuses=("approved",), types=("purchase",))).number == 8


@pytest.mark.django_db
def test_an_empty_range_divides_by_zero_as_zero(organization, dataset):
    totals = _totals(organization, DAY - timedelta(days=5), DAY - timedelta(days=5))
    assert _summary(totals) == (0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 0, Decimal("0.00"), [])
