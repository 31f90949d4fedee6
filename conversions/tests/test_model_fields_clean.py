"""``model_fields_clean`` says exactly what ``Model.clean_fields`` says, field by field and word for word."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversions.models import Conversion
from core.validators import model_fields_clean

EXCLUDE = ["organization", "contact", "campaign", "delivery"]
GOOD = {
    "currency": "EUR",
    "reference_currency": "EUR",
    "converted_at": timezone.now(),
    "converted_date": date(2026, 1, 2),
    "revenue": Decimal("10.00"),
    "revenue_without_tax": Decimal("10.00"),
}
BAD = [
    {},
    {"type": "bogus", "status": "lost"},
    {"currency": "ZZZ", "country": "XX"},
    {"currency": "", "converted_at": None},
    {"country": "CZE", "order_id": "x" * 500, "notes": "n" * 100_000},
    {"revenue": Decimal("1e20"), "reference_revenue": Decimal("123456789012345678901.5")},
    {"count": -1, "attribution_window": 70_000},
    {"count": "3", "attribution_window": True, "revenue": "12.5", "converted_date": timezone.now()},
    {"converted_at": "not a time", "count": "many"},
    {"metadata": None, "payout": None, "attribution_model": "nobody"},
]


def _errors(check, fields):
    conversion = Conversion(id=uuid.UUID(int=1), **{**GOOD, **fields})
    try:
        check(conversion)
    except ValidationError as error:
        return error.message_dict, [getattr(conversion, f.attname) for f in Conversion._meta.concrete_fields]
    return {}, [getattr(conversion, f.attname) for f in Conversion._meta.concrete_fields]


@pytest.mark.parametrize("fields", BAD)
def test_same_errors_and_values_as_django_clean_fields(fields):
    assert _errors(lambda c: model_fields_clean(c, exclude=EXCLUDE), fields) == _errors(
        lambda c: c.clean_fields(exclude=EXCLUDE), fields
    )
