from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from contacts.models import Contact
from conversions.models import Attribution, Conversion, RollupMark
from conversions.services import BATCH_MAX_ITEMS, conversion_create, conversions_create_batch, touchpoint_create
from conversions.tests.factories import DeliveryFactory
from core.exceptions import ConflictError

NOW = timezone.now() - timedelta(hours=1)


def _item(**fields):
    return {"email": "batch@example.com", "revenue": "10.00", "converted_at": NOW, **fields}


@pytest.mark.django_db
def test_each_item_gets_its_own_outcome_in_order(organization):
    conversion_create(organization=organization, **_item(order_id="STORED"))
    outcomes = conversions_create_batch(
        organization=organization,
        items=[
            _item(order_id="NEW-1"),
            _item(order_id="STORED"),
            _item(order_id="STORED", revenue="99.00"),
            _item(order_id="NEW-2", count=0, email="ghost@example.com"),
            _item(order_id="NEW-1"),
            _item(order_id="NEW-1", revenue="11.00"),
            _item(),
        ],
    )
    assert [outcome.status for outcome in outcomes] == [
        "created", "duplicate", "error", "error", "duplicate", "error", "created",
    ]  # fmt: skip
    assert isinstance(outcomes[2].error, ConflictError) and isinstance(outcomes[5].error, ConflictError)
    assert isinstance(outcomes[3].error, ValidationError) and "count" in outcomes[3].error.message_dict
    assert outcomes[4].conversion.pk == outcomes[0].conversion.pk
    assert Conversion.objects.count() == 3
    assert not Contact.objects.filter(email="ghost@example.com").exists()
    assert Contact.objects.filter(email="batch@example.com").count() == 1


@pytest.mark.django_db
def test_batch_rows_equal_rows_created_one_by_one(organization):
    delivery = DeliveryFactory(organization=organization)
    contact = Contact.objects.create(organization=organization, email="toucher@example.com", country="SK")
    touchpoint_create(
        organization=organization,
        contact=contact,
        delivery=delivery,
        kind="click",
        occurred_at=NOW - timedelta(hours=2),
    )
    fields = {
        "contact": contact,
        "currency": "EUR",
        "revenue": "30.00",
        "revenue_without_tax": "25.00",
        "converted_at": NOW,
    }
    single, _ = conversion_create(organization=organization, order_id="ONE", **fields)
    (outcome,) = conversions_create_batch(organization=organization, items=[{"order_id": "TWO", **fields}])
    batched = outcome.conversion
    compared = [
        "contact_id",
        "country",
        "revenue",
        "revenue_without_tax",
        "reference_revenue",
        "converted_date",
        "attribution_model",
    ]
    assert [getattr(batched, name) for name in compared] == [getattr(single, name) for name in compared]
    credit = Attribution.objects.get(conversion=batched)
    assert (credit.delivery_id, credit.weight, credit.revenue) == (delivery.pk, Decimal(1), Decimal("30.00"))
    assert Conversion.history.filter(id=batched.pk, history_type="+").count() == 1
    assert RollupMark.objects.filter(organization=organization, day=batched.converted_date).exists()


@pytest.mark.django_db
def test_more_than_the_limit_is_refused_whole(organization):
    with pytest.raises(ValidationError):
        conversions_create_batch(organization=organization, items=[_item()] * (BATCH_MAX_ITEMS + 1))
    assert (
        len(conversions_create_batch(organization=organization, items=[_item()] * BATCH_MAX_ITEMS)) == BATCH_MAX_ITEMS
    )
    assert Conversion.objects.count() == BATCH_MAX_ITEMS
