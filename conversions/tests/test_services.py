import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from contacts.models import Contact
from contacts.services import contact_delete
from conversions.models import Conversion, ExchangeRate
from conversions.services import conversion_create, conversion_delete, conversion_update, exchange_rate_set
from core.exceptions import ConflictError

PRAGUE = ZoneInfo("Europe/Prague")


def _create(organization, **fields):
    fields.setdefault("converted_at", timezone.now() - timedelta(hours=1))
    return conversion_create(organization=organization, **fields)


@pytest.mark.django_db
def test_defaults_follow_the_contract(organization):
    conversion, created = _create(organization, email="Buyer@Example.com", revenue="121.00")
    assert created
    assert conversion.type == "custom" and conversion.status == "approved" and conversion.count == 1
    assert conversion.currency == organization.reference_currency == "EUR"
    assert conversion.revenue_without_tax == Decimal("121.00")
    assert conversion.contact.email == "buyer@example.com"
    assert conversion.attribution_model == "last_touch" and conversion.attribution_window == 7


@pytest.mark.django_db
def test_reference_amounts_use_the_latest_rate_on_or_before_the_day(organization):
    day = timezone.localdate(timezone=PRAGUE) - timedelta(days=3)
    ExchangeRate.objects.create(date=day - timedelta(days=2), currency="CZK", rate=Decimal("25"))
    ExchangeRate.objects.create(date=day + timedelta(days=1), currency="CZK", rate=Decimal("20"))
    converted_at = datetime.combine(day, datetime.min.time(), PRAGUE) + timedelta(hours=12)
    conversion, _ = _create(
        organization, currency="CZK", revenue="250.00", revenue_without_tax="200.00", converted_at=converted_at
    )
    assert conversion.reference_currency == "EUR"
    assert conversion.reference_revenue == Decimal("10.00")
    assert conversion.reference_revenue_without_tax == Decimal("8.00")


@pytest.mark.django_db
def test_cross_rates_go_through_eur(other_organization):
    day = timezone.now().date() - timedelta(days=1)
    ExchangeRate.objects.create(date=day, currency="CZK", rate=Decimal("25"))
    ExchangeRate.objects.create(date=day, currency="USD", rate=Decimal("1.1"))
    conversion, _ = _create(other_organization, currency="CZK", revenue="1000.00", converted_at=timezone.now())
    assert conversion.reference_currency == "USD"
    assert conversion.reference_revenue == Decimal("44.00")  # 1000 / 25 * 1.1


@pytest.mark.django_db
def test_reference_amounts_are_null_without_a_rate_and_filled_when_one_arrives(
    organization, django_capture_on_commit_callbacks
):
    conversion, _ = _create(organization, currency="HUF", revenue="4000.00")
    assert conversion.reference_revenue is None and conversion.reference_revenue_without_tax is None
    with django_capture_on_commit_callbacks(execute=True):
        exchange_rate_set(currency="HUF", on_date=conversion.converted_date - timedelta(days=1), rate=Decimal("400"))
    conversion.refresh_from_db()
    assert conversion.reference_revenue == Decimal("10.00")


@pytest.mark.django_db
def test_same_order_id_and_payload_is_a_replay_and_a_different_payload_a_conflict(organization):
    payload = {"email": "a@example.com", "order_id": "A-1", "revenue": "10.00", "converted_at": timezone.now()}
    first, created = conversion_create(organization=organization, **payload)
    again, created_again = conversion_create(organization=organization, **payload)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ConflictError) as conflict:
        conversion_create(organization=organization, **{**payload, "revenue": "11.00"})
    assert conflict.value.existing_id == first.pk
    assert Conversion.objects.count() == 1


@pytest.mark.django_db
def test_order_ids_are_unique_per_organization_only(organization, other_organization):
    _create(organization, order_id="SHARED")
    _, created = _create(other_organization, order_id="SHARED")
    assert created


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_creates_make_exactly_one_row(organization):
    """Racing writers meet on the unique constraint; the losers replay, none sees an error."""
    results, errors = [], []
    barrier = threading.Barrier(8)
    converted_at = timezone.now() - timedelta(minutes=1)

    def create():
        try:
            barrier.wait()
            conversion, created = conversion_create(
                organization=organization,
                email="race@example.com",
                order_id="RACE-1",
                revenue="5.00",
                converted_at=converted_at,
            )
            results.append((conversion.pk, created))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Conversion.objects.filter(order_id="RACE-1").count() == 1
    assert Contact.objects.filter(email="race@example.com").count() == 1
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"revenue": "-0.01"}, "revenue"),
        ({"revenue": "1.001"}, "revenue"),
        ({"revenue": "10.00", "revenue_without_tax": "10.01"}, "revenue_without_tax"),
        ({"count": 0}, "count"),
        ({"count": 1_000_001}, "count"),
        ({"attribution_window": 91}, "attribution_window"),
        ({"currency": "XXY"}, "currency"),
        ({"country": "QQ"}, "country"),
        ({"metadata": {"k" * 65: 1}}, "metadata"),
        ({"converted_at": "future"}, "converted_at"),
    ],
)
def test_invalid_values_raise_and_store_nothing(organization, fields, field):
    if fields.get("converted_at") == "future":
        fields["converted_at"] = timezone.now() + timedelta(minutes=6)
    with pytest.raises(ValidationError) as error:
        conversion_create(organization=organization, email="x@example.com", **fields)
    assert field in error.value.message_dict
    assert not Conversion.objects.exists()


@pytest.mark.django_db
def test_limits_just_inside_are_accepted(organization):
    conversion, _ = _create(
        organization,
        count=1_000_000,
        revenue="999999999999.99",
        attribution_window=90,
        metadata={f"k{index}": "v" * 500 for index in range(50)},
        converted_at=timezone.now() + timedelta(minutes=4),
    )
    assert conversion.count == 1_000_000


@pytest.mark.django_db
def test_naive_times_are_read_in_the_payload_zone_or_the_organization_zone(organization):
    naive = datetime(2025, 7, 1, 0, 30)
    in_org_zone, _ = _create(organization, converted_at=naive)
    in_utc, _ = _create(organization, converted_at=naive, timezone="UTC")
    assert in_org_zone.converted_at == datetime(2025, 6, 30, 22, 30, tzinfo=ZoneInfo("UTC"))
    assert in_org_zone.converted_date.isoformat() == "2025-07-01"
    assert in_utc.converted_at == datetime(2025, 7, 1, 0, 30, tzinfo=ZoneInfo("UTC"))


@pytest.mark.django_db
def test_email_and_contact_that_disagree_are_refused(organization):
    contact = Contact.objects.create(organization=organization, email="one@example.com")
    with pytest.raises(ValidationError) as error:
        _create(organization, contact=contact, email="two@example.com")
    assert "email" in error.value.message_dict


@pytest.mark.django_db
def test_a_contact_of_another_organization_is_refused(organization, other_organization):
    stranger = Contact.objects.create(organization=other_organization, email="s@example.com")
    with pytest.raises(ValidationError):
        _create(organization, contact=stranger)


@pytest.mark.django_db
def test_update_keeps_a_default_revenue_without_tax_in_step(organization):
    conversion, _ = _create(organization, revenue="100.00")
    conversion_update(conversion=conversion, revenue="50.00")
    assert conversion.revenue_without_tax == Decimal("50.00")


@pytest.mark.django_db
def test_deleting_a_contact_keeps_its_conversions(organization):
    conversion, _ = _create(organization, email="gone@example.com", revenue="9.00")
    contact_delete(contact=conversion.contact)
    conversion.refresh_from_db()
    assert conversion.contact is None and conversion.revenue == Decimal("9.00")


@pytest.mark.django_db
def test_history_records_create_update_and_delete_with_old_and_new_values(organization):
    conversion, _ = _create(organization, order_id="H-1", revenue="10.00")
    conversion_id = conversion.id
    conversion_update(conversion=conversion, revenue="12.50")
    conversion_delete(conversion=conversion)
    history = list(Conversion.history.filter(id=conversion_id).order_by("history_date", "history_id"))
    assert [record.history_type for record in history] == ["+", "~", "-"]
    changes = history[1].diff_against(history[0]).changes
    assert any(c.field == "revenue" and c.old == Decimal("10.00") and c.new == Decimal("12.50") for c in changes)
    assert history[-1].order_id == "H-1" and history[-1].revenue == Decimal("12.50")
