"""The nightly check of what conversions derive: reference amounts against their rate, credit against revenue.

Rollups are checked against raw rows by reporting; this checks the raw rows' own derived columns, which a
rollup recount cannot see (a reference amount computed from an old revenue sums up just as well). Each
mismatch is logged and repaired through the services that compute the value in the first place.
"""

import copy
import logging
from datetime import date

from accounts.models import Organization
from conversions import rates
from conversions.attribution import split_money
from conversions.models import Conversion

from .credit import conversions_reattribute
from .exchange_rates import conversions_revalue_chunk

logger = logging.getLogger(__name__)

DERIVED_CHECK_CHUNK_SIZE = 1000
REFERENCE_FIELDS = ("reference_rate", "reference_revenue", "reference_revenue_without_tax")
CREDITED_FIELDS = ("revenue", "revenue_without_tax", "reference_revenue", "reference_revenue_without_tax")


def _reference_problems(conversion: Conversion, expected: Conversion) -> list[str]:
    return [
        f"{field} {getattr(conversion, field)} instead of {getattr(expected, field)}"
        for field in REFERENCE_FIELDS
        if getattr(conversion, field) != getattr(expected, field)
    ]


def _credit_problems(conversion: Conversion, expected: Conversion) -> list[str]:
    credit = list(conversion.attributions.all())
    if not credit:
        return []
    weights = [row.weight for row in credit]
    problems = []
    for field in CREDITED_FIELDS:
        stored = [getattr(row, field) for row in credit]
        should = split_money(getattr(expected, field), weights)
        if stored != should:
            problems.append(f"credited {field} {stored} instead of {should}")
    return problems


def conversions_derived_check(*, organization: Organization, first_day: date, last_day: date) -> list[str]:
    """Check the conversions of these local days; repair and log each mismatch. Returns the repaired ids."""
    ids = list(
        Conversion.objects.filter(
            organization=organization, converted_date__gte=first_day, converted_date__lte=last_day
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    repaired: list[str] = []
    for start in range(0, len(ids), DERIVED_CHECK_CHUNK_SIZE):
        rows = Conversion.objects.filter(pk__in=ids[start : start + DERIVED_CHECK_CHUNK_SIZE]).prefetch_related(
            "attributions"
        )
        lookup = rates.RateLookup()
        stale_reference, stale_credit = [], []
        for conversion in rows:
            expected = copy.copy(conversion)
            rates.apply_reference_amounts(expected, lookup)
            reference = _reference_problems(conversion, expected)
            credit = _credit_problems(conversion, expected)
            if reference or credit:
                logger.warning(
                    "Derived repair: organization %s conversion %s: %s",
                    organization.slug,
                    conversion.pk,
                    "; ".join(reference + credit),
                )
                repaired.append(str(conversion.pk))
            if reference:
                stale_reference.append(str(conversion.pk))
            if reference or credit:
                stale_credit.append(str(conversion.pk))
        if stale_reference:
            conversions_revalue_chunk(conversion_ids=stale_reference)
        if stale_credit:
            conversions_reattribute(conversion_ids=stale_credit)
    return repaired
