"""/api/v1/exchange-rates/: the shared API contract for rows every organization shares and only the admin writes
(core/tests/api_contract.py), then the fields and filters."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from conversions.models import ExchangeRate
from conversions.tests.factories import ExchangeRateFactory
from core.tests.api_contract import SharedReadOnlyResourceContract, assert_400_on, listed_ids

URL = "/api/v1/exchange-rates/"
_days = itertools.count()


class TestExchangeRatesAPI(SharedReadOnlyResourceContract):
    path = URL
    model = ExchangeRate
    ordering = "date"
    facet = "currency"
    patch = {"rate": "2"}

    def make(self, organization):
        # Not tenant data: ``organization`` is not the rate's; each row is a new (currency, day).
        return ExchangeRateFactory(currency="USD", date=date(2020, 1, 1) + timedelta(days=next(_days)))

    def create_body(self, organization):
        return {"currency": "GBP", "date": "2025-01-02", "rate": "0.85"}


@pytest.fixture
def rates(db):
    return [
        ExchangeRate.objects.create(currency="USD", date=date(2025, 1, 2), rate=Decimal("1.03")),
        ExchangeRate.objects.create(currency="USD", date=date(2025, 1, 3), rate=Decimal("1.04")),
        ExchangeRate.objects.create(currency="CZK", date=date(2025, 1, 3), rate=Decimal("25.1")),
    ]


def test_exchange_rate_detail(api, rates):
    detail = api.get(f"{URL}{rates[0].pk}/").json()["data"]
    assert detail == {
        "id": str(rates[0].pk),
        "date": "2025-01-02",
        "currency": "USD",
        "rate": 1.03,
        "created_at": detail["created_at"],
        "updated_at": detail["updated_at"],
    }


def test_exchange_rate_filters(api, rates):
    assert listed_ids(api.get(URL, {"currency": "usd"})) == {str(rates[0].pk), str(rates[1].pk)}
    assert listed_ids(api.get(URL, {"date": "2025-01-03"})) == {str(rates[1].pk), str(rates[2].pk)}
    assert listed_ids(api.get(URL, {"date_after": "2025-01-03", "currency": "USD"})) == {str(rates[1].pk)}
    assert listed_ids(api.get(URL, {"date_before": "2025-01-02"})) == {str(rates[0].pk)}
    rows = api.get(URL, {"ordering": "rate"}).json()["data"]
    assert [row["rate"] for row in rows] == [1.03, 1.04, 25.1]
    assert api.get(URL, {"facets": "currency"}).json()["facets"] == {"currency": {"USD": 2, "CZK": 1}}
    assert_400_on(api.get(URL, {"date": "someday"}), "date")
    assert api.get(f"{URL}00000000-0000-0000-0000-000000000000/").status_code == 404
