"""Background work computes derived values from rows as they are when it writes, never from an early snapshot.

A re-attribution or a revaluation that loaded its rows up front overwrote what concurrent requests changed in
the meantime (credit from the old revenue, reference amounts from the old revenue). Here a request changes a
conversion's revenue while the task is already running, on a row the task has not reached yet; afterwards the
stored credit and reference amounts must follow the new revenue. PostgreSQL only: on SQLite the whole file is
locked by the task's transaction, so the concurrent request cannot run in the middle of it.
"""

import threading
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.services import organization_create
from contacts.services import contact_create
from conversions import rates, services
from conversions.models import Conversion, ExchangeRate
from conversions.services import credit

NEW_REVENUE = Decimal("777.77")


def _in_another_connection(action, wait_seconds: float = 30) -> list:
    """Run ``action`` in a thread with its own database connection (a concurrent request); wait for it at most
    ``wait_seconds`` (it may be waiting for a row lock the caller holds). Returns the thread's failures."""
    failure: list = []

    def run():
        try:
            action()
        except Exception as error:  # noqa: BLE001 - re-raised below
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=wait_seconds)
    _in_another_connection.threads.append(thread)
    return failure


_in_another_connection.threads = []


def _finish_concurrent_requests() -> None:
    while _in_another_connection.threads:
        _in_another_connection.threads.pop().join(timeout=30)


@pytest.fixture
def shop(transactional_db):
    organization = organization_create(slug="fresh", name="Fresh", reference_currency="EUR", timezone_name="UTC")
    contact = contact_create(organization=organization, email="fresh@example.test")
    campaign = services.campaign_create(organization=organization, name="C")
    return organization, contact, campaign


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reattribution_credits_a_revenue_changed_while_it_runs(shop, monkeypatch):
    organization, contact, campaign = shop
    start = timezone.now() - timedelta(days=1)
    conversions = [
        services.conversion_create(
            organization=organization,
            contact=contact,
            revenue=Decimal("10.00"),
            converted_at=start + timedelta(minutes=i),
        )[0]
        for i in range(credit.REATTRIBUTE_LOCK_CHUNK_SIZE + 5)
    ]
    services.touchpoint_create(
        organization=organization,
        contact=contact,
        campaign=campaign,
        kind="click",
        occurred_at=start - timedelta(hours=1),
    )
    last = max(conversions, key=lambda row: str(row.pk))  # in the task's last chunk
    original = credit.conversion_attribute
    edited = []

    def attribute_and_meanwhile_edit(*, conversion):
        if not edited:
            edited.append(True)
            _in_another_connection(
                lambda: services.conversion_update(conversion=Conversion.objects.get(pk=last.pk), revenue=NEW_REVENUE)
            )
        return original(conversion=conversion)

    monkeypatch.setattr(credit, "conversion_attribute", attribute_and_meanwhile_edit)
    services.conversions_reattribute(conversion_ids=[row.pk for row in conversions])
    _finish_concurrent_requests()

    stored = Conversion.objects.get(pk=last.pk)
    assert stored.revenue == NEW_REVENUE
    assert sum(row.revenue for row in stored.attributions.all()) == NEW_REVENUE
    assert {row.campaign_id for row in stored.attributions.all()} == {campaign.pk}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_revaluation_uses_a_revenue_changed_while_it_runs(shop, monkeypatch, settings):
    organization, contact, _ = shop
    settings.REVALUATION_CHUNK_SIZE = 100
    day = date(2024, 5, 6)
    rows = [
        services.conversion_create(
            organization=organization,
            revenue=Decimal("10.00"),
            currency="USD",
            converted_at=timezone.make_aware(timezone.datetime(2024, 5, 6, 12, i)),
        )[0]
        for i in range(25)
    ]
    services.exchange_rates_import(rows=[(day, "USD", Decimal("2"))])  # 1 EUR = 2 USD: 10 USD = 5 EUR
    # The rate changes behind the services' back, so the revaluation below has every row to rewrite.
    ExchangeRate.objects.filter(currency="USD", date=day).update(rate=Decimal("4"))
    last = max(rows, key=lambda row: str(row.pk))  # in the last chunk, so loaded with the rows it computes
    original = rates.apply_reference_amounts
    edited = []

    def compute_while_a_request_edits(conversion, rate_lookup):
        if not edited and conversion.pk != last.pk:
            edited.append(True)
            # The request edits a row of this very chunk: it must wait for the chunk (row lock) and then compute
            # its own reference amounts, instead of being overwritten by amounts from the revenue read before.
            _in_another_connection(
                lambda: services.conversion_update(conversion=Conversion.objects.get(pk=last.pk), revenue=NEW_REVENUE),
                wait_seconds=2,
            )
        return original(conversion, rate_lookup)

    monkeypatch.setattr(rates, "apply_reference_amounts", compute_while_a_request_edits)
    services.conversions_revalue(currency="USD", since=day)
    _finish_concurrent_requests()

    stored = Conversion.objects.get(pk=last.pk)
    assert stored.revenue == NEW_REVENUE
    assert stored.reference_revenue == (NEW_REVENUE / 4).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
