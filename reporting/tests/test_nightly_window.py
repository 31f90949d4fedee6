"""Windows that are days are each organization's local days: the nightly check's trailing window and the
default report range, computed once in the reporting services and selectors."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.services import organization_create
from reporting import selectors, services, tasks

# 12:00 UTC on 10 May is already 11 May at UTC+14 and still 10 May at UTC−11.
NOON_UTC = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen_noon(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOON_UTC)


@pytest.mark.parametrize(
    "zone, local_today", [("Pacific/Kiritimati", date(2024, 5, 11)), ("Pacific/Pago_Pago", date(2024, 5, 10))]
)
def test_trailing_window_starts_from_the_organizations_local_today(db, frozen_noon, zone, local_today):
    organization = organization_create(slug="far", name="Far", reference_currency="EUR", timezone_name=zone)
    first, last = services.rollup_repair_span(organization=organization, trailing_days=35)
    assert first == local_today - timedelta(days=35)
    assert last == local_today


def test_the_nightly_task_asks_for_the_trailing_window_in_local_days(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "rollup_repair", lambda **kwargs: calls.append(kwargs) or [])
    tasks.rollup_repair_task()
    tasks.rollup_repair_task(since="2024-01-01", until="2024-01-31")
    assert calls[0]["trailing_days"] == services.ROLLUP_REPAIR_WINDOW_DAYS and calls[0]["since"] is None
    assert calls[1]["trailing_days"] is None
    assert (calls[1]["since"], calls[1]["until"]) == (date(2024, 1, 1), date(2024, 1, 31))


def test_default_report_range_is_the_last_30_local_days(db, frozen_noon):
    organization = organization_create(
        slug="kiri", name="K", reference_currency="EUR", timezone_name="Pacific/Kiritimati"
    )
    assert selectors.report_default_range(organization) == (date(2024, 4, 12), date(2024, 5, 11))
    assert selectors.report_default_range(organization, date_to=date(2024, 1, 30)) == (
        date(2024, 1, 1),
        date(2024, 1, 30),
    )
    assert selectors.report_default_range(organization, date_from=date(2024, 5, 1)) == (
        date(2024, 5, 1),
        date(2024, 5, 11),
    )


def test_default_report_range_stops_at_the_first_day_of_the_calendar(db):
    organization = organization_create(slug="early", name="E", reference_currency="EUR", timezone_name="UTC")
    assert selectors.report_default_range(organization, date_to=date(1, 1, 5)) == (date.min, date(1, 1, 5))
