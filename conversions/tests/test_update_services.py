"""No update service lets its caller move a row to another tenant, change its id or write a derived field.

Whoever calls a service (API, admin, import, command, task), the list of writable fields inside the service
decides; a refused field is a ``ValidationError`` naming it, and the row stays exactly as stored.
"""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import organization_update
from contacts.services import contact_create, contact_update
from conversions import services
from conversions.models import ExchangeRate


def _rows(organization):
    contact = contact_create(organization=organization, email="guard@example.test")
    campaign = services.campaign_create(organization=organization, name="Guarded")
    delivery = services.delivery_create(organization=organization, name="Guarded", campaign=campaign)
    touchpoint = services.touchpoint_create(
        organization=organization, contact=contact, delivery=delivery, kind="click", occurred_at=timezone.now()
    )
    conversion, _ = services.conversion_create(
        organization=organization, contact=contact, revenue=Decimal("10.00"), currency="EUR", order_id="guard-1"
    )
    rate, _ = services.exchange_rate_set(currency="USD", on_date=date(2024, 1, 2), rate=Decimal("1.1"))
    return {
        "organization": (organization_update, "organization", organization),
        "contact": (contact_update, "contact", contact),
        "campaign": (services.campaign_update, "campaign", campaign),
        "delivery": (services.delivery_update, "delivery", delivery),
        "touchpoint": (services.touchpoint_update, "touchpoint", touchpoint),
        "conversion": (services.conversion_update, "conversion", conversion),
        "exchange_rate": (services.exchange_rate_update, "exchange_rate", rate),
    }


# Fields no caller may write, per row kind: tenant, identity, timestamps and values the system derives.
FORBIDDEN = {
    "organization": {"id": uuid.uuid4(), "slug": "moved", "created_at": timezone.now() - timedelta(days=3)},
    "contact": {"id": uuid.uuid4(), "created_at": timezone.now() - timedelta(days=3)},
    "campaign": {"id": uuid.uuid4(), "created_at": timezone.now() - timedelta(days=3)},
    "delivery": {"id": uuid.uuid4(), "created_at": timezone.now() - timedelta(days=3)},
    "touchpoint": {"id": uuid.uuid4(), "created_at": timezone.now() - timedelta(days=3)},
    "conversion": {
        "id": uuid.uuid4(),
        "created_at": timezone.now() - timedelta(days=3),
        "reference_revenue": Decimal("999.99"),
        "reference_revenue_without_tax": Decimal("999.99"),
        "reference_currency": "USD",
    },
    "exchange_rate": {"id": 10**9, "created_at": timezone.now() - timedelta(days=3)},
}
TENANT_ROWS = ("contact", "campaign", "delivery", "touchpoint", "conversion")


def _stored(instance) -> dict:
    fresh = type(instance).objects.get(pk=instance.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


@pytest.mark.parametrize("kind", sorted(FORBIDDEN))
def test_an_update_service_refuses_ids_timestamps_and_derived_fields(organization, kind):
    update, argument, instance = _rows(organization)[kind]
    for name, value in FORBIDDEN[kind].items():
        before = _stored(instance)
        with pytest.raises(ValidationError) as raised:
            update(**{argument: instance}, **{name: value})
        assert name in raised.value.message_dict
        assert _stored(instance) == before, name


@pytest.mark.parametrize("kind", TENANT_ROWS)
def test_an_update_service_never_moves_a_row_to_another_organization(organization, other_organization, kind):
    update, argument, instance = _rows(organization)[kind]
    before = _stored(instance)
    with pytest.raises(ValidationError) as raised:
        update(**{argument: instance}, organization=other_organization)
    assert "organization" in raised.value.message_dict
    assert _stored(instance) == before
    assert type(instance).objects.get(pk=instance.pk).organization_id == organization.pk


def test_exchange_rates_have_no_organization_to_move(organization):
    update, argument, rate = _rows(organization)["exchange_rate"]
    with pytest.raises(ValidationError) as raised:
        update(**{argument: rate}, organization=organization)
    assert "organization" in raised.value.message_dict
    assert ExchangeRate.objects.get(pk=rate.pk).rate == Decimal("1.1")


@pytest.mark.parametrize(
    "kind, change",
    [
        ("organization", {"name": "Renamed"}),
        ("contact", {"first_name": "Jane"}),
        ("campaign", {"name": "Renamed"}),
        ("delivery", {"name": "Renamed"}),
        ("touchpoint", {"kind": "open"}),
        ("conversion", {"notes": "checked"}),
        ("exchange_rate", {"rate": Decimal("1.2")}),
    ],
)
def test_a_writable_field_is_still_written(organization, kind, change):
    update, argument, instance = _rows(organization)[kind]
    update(**{argument: instance}, **change)
    fresh = type(instance).objects.get(pk=instance.pk)
    for name, value in change.items():
        assert getattr(fresh, name) == value
