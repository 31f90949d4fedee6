"""The nightly check of what conversions derive: refunded sums against the refund ledger, reference amounts
against their rate, credit against revenue.

Rollups are checked against raw rows by reporting; this checks the raw rows' own derived columns, which a
rollup recount cannot see (a reference amount computed from an old revenue sums up just as well). Each
mismatch is logged and repaired through the services that compute the value in the first place.
"""

import copy
import logging
from datetime import date

from django.db.models import Sum

from accounts.models import Organization
from conversions import rates
from conversions.attribution import is_money_split, split_money
from conversions.models import CREDITED_MONEY_FIELDS, REFERENCE_MONEY_FIELDS, Conversion, Refund

from .credit import conversions_reattribute
from .exchange_rates import conversions_revalue_chunk
from .refunds import conversion_refunds_recount

logger = logging.getLogger(__name__)

DERIVED_CHECK_CHUNK_SIZE = 1000
REFERENCE_FIELDS = ("reference_rate", *REFERENCE_MONEY_FIELDS)
CREDITED_FIELDS = CREDITED_MONEY_FIELDS


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
        # Up to the order of ties: equal-weight rows come back from the database in no fixed order.
        if not is_money_split(getattr(expected, field), weights, stored):
            should = split_money(getattr(expected, field), weights)
            problems.append(f"credited {field} {stored} instead of {should}")
    return problems


def conversions_derived_check(*, organization: Organization, first_day: date, last_day: date) -> list[str]:
    """Check the conversions of these local days; repair and log each mismatch. Returns the repaired ids."""
    ids = list(
        Conversion.objects.filter(
            organization=organization, converted_date__gte=first_day, converted_date__lte=last_day
        )
        .order_by("converted_date", "pk")  # a chunk spans a day or two: its rate look-ups hit the chunk's cache
        .values_list("pk", flat=True)
    )
    repaired: list[str] = []
    for start in range(0, len(ids), DERIVED_CHECK_CHUNK_SIZE):
        chunk = ids[start : start + DERIVED_CHECK_CHUNK_SIZE]
        repaired.extend(_ledger_repairs(organization, chunk))
        rows = Conversion.objects.filter(pk__in=chunk).prefetch_related("attributions")
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
                if str(conversion.pk) not in repaired:
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


def _ledger_repairs(organization: Organization, ids: list) -> list[str]:
    """Conversions of ``ids`` whose ``refunded_*`` sums differ from their refund ledger, recounted and logged."""
    ledger = {
        row["conversion_id"]: (row["amount"], row["amount_without_tax"])
        for row in Refund.objects.filter(conversion_id__in=ids)
        .values("conversion_id")
        .annotate(amount=Sum("amount"), amount_without_tax=Sum("amount_without_tax"))
        .order_by()
    }
    repaired = []
    stored = Conversion.objects.filter(pk__in=ids).only("pk", "refunded_revenue", "refunded_revenue_without_tax")
    for conversion in stored:
        expected = ledger.get(conversion.pk, (0, 0))
        if (conversion.refunded_revenue, conversion.refunded_revenue_without_tax) != expected:
            logger.warning(
                "Derived repair: organization %s conversion %s: refunded %s/%s instead of the ledger's %s/%s",
                organization.slug,
                conversion.pk,
                conversion.refunded_revenue,
                conversion.refunded_revenue_without_tax,
                *expected,
            )
            conversion_refunds_recount(conversion=conversion)
            repaired.append(str(conversion.pk))
    return repaired
