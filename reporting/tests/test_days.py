"""Local days and hours are cut in the organization's zone (Europe/Prague), DST-correct, raw and from rollups."""

from datetime import UTC, date, datetime

import pytest

from conversions.tests.factories import ConversionFactory
from reporting.aggregation import Filters
from reporting.selectors import ReadMode, ReportQuery, conversions_history, conversions_timeframe, conversions_totals
from reporting.services import rollup_drain

APPROVED = Filters(statuses=("approved",))


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _numbers_per_day(organization, first: date, last: date, mode=ReadMode.AUTO):
    rows = conversions_history(ReportQuery(organization, first, last, APPROVED), interval="day", mode=mode)
    return [(row.key, row.number) for row in rows]


def _hours(organization, day: date, mode=ReadMode.AUTO):
    rows = conversions_timeframe(ReportQuery(organization, day, day, APPROVED), by="hour", mode=mode)
    return {row.key: row.number for row in rows if row.number}


@pytest.mark.django_db
@pytest.mark.parametrize("drained", [False, True])
@pytest.mark.parametrize(
    ("before_midnight", "after_midnight", "day"),
    [
        (_utc(2024, 7, 10, 21, 59, 59), _utc(2024, 7, 10, 22, 0, 0), date(2024, 7, 10)),  # CEST, UTC+2
        (_utc(2024, 1, 15, 22, 59, 59), _utc(2024, 1, 15, 23, 0, 0), date(2024, 1, 15)),  # CET, UTC+1
    ],
)
def test_conversions_just_before_and_after_local_midnight(organization, before_midnight, after_midnight, day, drained):
    ConversionFactory(organization=organization, revenue="10.00", converted_at=before_midnight)
    ConversionFactory(organization=organization, revenue="20.00", count=2, converted_at=after_midnight)
    if drained:
        rollup_drain()
    next_day = date.fromordinal(day.toordinal() + 1)
    assert _numbers_per_day(organization, day, next_day) == [(day, 1), (next_day, 2)]
    assert _numbers_per_day(organization, day, next_day, mode=ReadMode.RAW) == [(day, 1), (next_day, 2)]
    first_day = conversions_totals(ReportQuery(organization, day, day, APPROVED))
    assert (first_day.number, str(first_day.amount_with_tax)) == (1, "10.00")
    assert _hours(organization, day) == {23: 1}
    assert _hours(organization, next_day) == {0: 2}


@pytest.mark.django_db
@pytest.mark.parametrize("drained", [False, True])
def test_hours_on_the_days_the_clocks_change(organization, drained):
    spring = date(2024, 3, 31)  # 02:00 CET -> 03:00 CEST: there is no 2 o'clock
    ConversionFactory(organization=organization, converted_at=_utc(2024, 3, 31, 0, 30))  # 01:30 CET
    ConversionFactory(organization=organization, converted_at=_utc(2024, 3, 31, 1, 30))  # 03:30 CEST
    autumn = date(2024, 10, 27)  # 03:00 CEST -> 02:00 CET: 2 o'clock happens twice
    ConversionFactory(organization=organization, converted_at=_utc(2024, 10, 27, 0, 30))  # 02:30 CEST
    ConversionFactory(organization=organization, converted_at=_utc(2024, 10, 27, 1, 30))  # 02:30 CET
    ConversionFactory(organization=organization, converted_at=_utc(2024, 10, 26, 22, 0))  # 00:00 CEST on the 27th
    if drained:
        rollup_drain()
    assert _hours(organization, spring) == {1: 1, 3: 1}
    assert _hours(organization, autumn) == {0: 1, 2: 2}
    assert _numbers_per_day(organization, autumn, autumn) == [(autumn, 3)]
    weekdays = conversions_timeframe(ReportQuery(organization, spring, autumn, APPROVED), by="weekday")
    assert {row.key: row.number for row in weekdays if row.number} == {7: 5}  # both are Sundays
