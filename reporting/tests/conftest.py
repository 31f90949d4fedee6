"""A small, hand-checked dataset in the ``organization`` fixture (Europe/Prague, reference currency EUR).

Day ``DAY`` (a DST month) holds, approved unless said otherwise (reference amounts at 25 CZK, 400 HUF per EUR):

=====  ========  ===========  ==========  =====  =======  =================
order  currency  with tax     without     count  contact  reference w / wo
=====  ========  ===========  ==========  =====  =======  =================
A      CZK       1210.00      1000.00     2      one      48.40 / 40.00
B      CZK       605.00       500.00      1      two      24.20 / 20.00
C      EUR       100.00       82.64       1      one      100.00 / 82.64
D      HUF       4000.00      3150.00     3      three    10.00 / 7.88
E      PLN       10.00        10.00       1      four     unknown (no rate)
F      EUR       999.00       999.00      1      one      pending
G      EUR       77.00        77.00       1      two      rejected
=====  ========  ===========  ==========  =====  =======  =================

plus H (EUR 50.00, approved) on the next day. Totals of DAY: number 8, 182.60 / 150.52 EUR, 4 contacts.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contacts.services import contact_create
from conversions.tests.factories import ConversionFactory, ExchangeRateFactory

PRAGUE = ZoneInfo("Europe/Prague")
DAY = date(2024, 7, 10)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=PRAGUE)


@pytest.fixture
def rates(db):
    ExchangeRateFactory(currency="CZK", date=date(2024, 1, 1), rate=Decimal("25"))
    ExchangeRateFactory(currency="HUF", date=date(2024, 1, 1), rate=Decimal("400"))
    ExchangeRateFactory(currency="USD", date=date(2024, 1, 1), rate=Decimal("1.25"))


@pytest.fixture
def contacts(organization):
    return {
        name: contact_create(
            organization=organization,
            email=f"{name}@example.com",
            client_contact_id=f"client-{name}",
            first_name=name.title(),
            surname="Doe",
            country="CZ",
        )
        for name in ("one", "two", "three", "four")
    }


@pytest.fixture
def dataset(organization, rates, contacts):
    rows = [
        ("A", "CZK", "1210.00", "1000.00", 2, "one", "approved", 9),
        ("B", "CZK", "605.00", "500.00", 1, "two", "approved", 10),
        ("C", "EUR", "100.00", "82.64", 1, "one", "approved", 14),
        ("D", "HUF", "4000.00", "3150.00", 3, "three", "approved", 23),
        ("E", "PLN", "10.00", "10.00", 1, "four", "approved", 0),
        ("F", "EUR", "999.00", "999.00", 1, "one", "pending", 12),
        ("G", "EUR", "77.00", "77.00", 1, "two", "rejected", 12),
    ]
    conversions = {}
    for order_id, currency, revenue, without_tax, count, contact, status, hour in rows:
        conversions[order_id] = ConversionFactory(
            organization=organization,
            order_id=order_id,
            currency=currency,
            revenue=revenue,
            revenue_without_tax=without_tax,
            count=count,
            contact=contacts[contact],
            status=status,
            type="purchase",
            converted_at=local(DAY, hour, 30),
        )
    conversions["H"] = ConversionFactory(
        organization=organization,
        order_id="H",
        currency="EUR",
        revenue="50.00",
        contact=contacts["two"],
        converted_at=local(DAY + timedelta(days=1), 8),
    )
    return conversions
