"""Racing refunds stay within the revenue and racing repeats make one entry (real transactions, threads).

They run on SQLite (writers serialized by IMMEDIATE transactions) and, with ``DATABASE_URL`` set, on PostgreSQL,
where the conversion's row lock (``SELECT … FOR UPDATE``) is what makes them exact; the ``postgres`` one proves
that lock alone serializes them, with reads that would otherwise overlap.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from accounts.services import api_key_create, organization_create
from conversions.models import Conversion, Refund
from conversions.services import conversion_create, refund_create
from core.tests.concurrency import requests_at_once


def _post_all_at_once(secret: str, url: str, bodies: list[dict]) -> list:
    return requests_at_once(secret, "post", url, bodies)


@pytest.fixture
def race(transactional_db):
    organization = organization_create(slug="race", name="Race", reference_currency="EUR", timezone_name="UTC")
    secret = api_key_create(organization=organization, name="racer")[1]
    conversion, _ = conversion_create(organization=organization, revenue=Decimal("100.00"), order_id="R-100")
    return secret, conversion


@pytest.mark.django_db(transaction=True)
def test_two_racing_refunds_of_60_on_100_give_one_201_and_one_400(race):
    secret, conversion = race
    answers = _post_all_at_once(secret, f"/api/v1/conversions/{conversion.pk}/refunds/", [{"amount": "60.00"}] * 2)

    assert all(isinstance(answer, tuple) for answer in answers), answers
    assert sorted(status for status, _, _ in answers) == [201, 400], answers
    refused = next(body for status, body, _ in answers if status == 400)
    assert "40.00 EUR" in refused["error"]["fields"]["amount"][0]
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == Decimal("60.00")
    assert Refund.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_many_racing_small_refunds_never_exceed_the_revenue(race):
    secret, conversion = race
    answers = _post_all_at_once(secret, f"/api/v1/conversions/{conversion.pk}/refunds/", [{"amount": "30.00"}] * 6)

    assert sorted(status for status, _, _ in answers) == [201, 201, 201, 400, 400, 400], answers
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == Decimal("90.00")
    assert sum(Refund.objects.values_list("amount", flat=True)) == Decimal("90.00")


@pytest.mark.django_db(transaction=True)
def test_racing_repeats_of_one_external_ref_make_one_refund(race):
    secret, conversion = race
    body = {"amount": "60.00", "reason": "returned", "external_ref": "SHOP-REFUND-1"}
    answers = _post_all_at_once(secret, f"/api/v1/conversions/{conversion.pk}/refunds/", [body] * 6)

    assert all(isinstance(answer, tuple) for answer in answers), answers
    assert sorted(status for status, _, _ in answers) == [200] * 5 + [201], answers
    assert [replayed for status, _, replayed in answers if status == 200] == ["true"] * 5
    assert len({data["data"]["id"] for _, data, _ in answers}) == 1
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == Decimal("60.00") and Refund.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_row_lock_makes_a_second_refund_wait_for_the_first(race):
    """While one refund's transaction holds the conversion, another one waits and then sees what remains."""
    _, conversion = race
    first_done = threading.Event()
    holding = threading.Event()
    outcome: list = []

    def first() -> None:
        try:
            with transaction.atomic():
                refund_create(organization=conversion.organization, conversion=conversion, amount=Decimal("60.00"))
                holding.set()
                first_done.wait(timeout=10)  # keep the lock while the second one starts
        finally:
            connection.close()

    def second() -> None:
        holding.wait(timeout=10)
        try:
            fresh = Conversion.objects.get(pk=conversion.pk)
            refund_create(organization=fresh.organization, conversion=fresh, amount=Decimal("60.00"))
            outcome.append("created")
        except Exception as error:  # noqa: BLE001 - asserted below
            outcome.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    holding.wait(timeout=10)
    threads[1].join(timeout=1)
    assert threads[1].is_alive()  # blocked on the row lock
    first_done.set()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome == ["ValidationError"]
    assert Refund.objects.count() == 1
