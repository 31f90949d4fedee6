"""Writes for the refund ledger: refunds and their reversals, the limits they keep, and what follows from them.

A conversion's refunds are an append-only ledger (``Refund``). Each write takes the conversion's row lock first
(``SELECT … FOR UPDATE``), so racing refunds of one conversion are serialized and each one is checked against
what really remains: two refunds of 60 on 100 give one 201 and one 400, never 120 refunded. Under the same lock
the write folds the entry into the conversion's ``refunded_*`` sums, converts them to the reference currency at
the conversion's own rate, splits them over the credit rows by the attribution weights, settles the status
(``refunded`` once nothing remains) and marks the conversion's local day for the rollups, all in one
transaction.
"""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Organization
from conversions import rates
from conversions.models import (
    CENT,
    MONEY_MAX,
    REFUND_EXTERNAL_REF_MAX_LENGTH,
    REFUND_NOTE_MAX_LENGTH,
    Conversion,
    Refund,
)
from core.exceptions import ConflictError
from core.services import lock_for_update

from .base import conversion_days_mark
from .credit import conversion_credit_resplit
from .events import refunds_event

REFUND_FUTURE_TOLERANCE_MINUTES = 5
REFUND_WRITABLE_FIELDS = frozenset(
    {"amount", "amount_without_tax", "reason", "note", "external_ref", "refunded_at", "reverses"}
)
# Compared with the stored refund when the same external_ref comes again (replay or conflict).
REFUND_IDENTITY_FIELDS = ("amount", "amount_without_tax", "reason", "note", "refunded_at", "reverses")


def refund_remaining(conversion: Conversion) -> tuple[Decimal, Decimal]:
    """What may still be refunded: ``(revenue, revenue without tax)`` not refunded yet, in the conversion's
    currency."""
    return (
        conversion.revenue - conversion.refunded_revenue,
        conversion.revenue_without_tax - conversion.refunded_revenue_without_tax,
    )


def _remaining_text(conversion: Conversion) -> str:
    remaining, remaining_without_tax = refund_remaining(conversion)
    return f"{remaining} {conversion.currency} (without tax {remaining_without_tax} {conversion.currency})"


def default_amount_without_tax(conversion: Conversion, amount: Decimal) -> Decimal:
    """The same share of ``revenue_without_tax`` as ``amount`` is of ``revenue``, rounded half-up to the cent.

    The refund that takes what remains of the revenue takes what remains without tax (so a full refund nets to
    0.00 both ways), and no share ever exceeds what remains without tax (rounding could push it a cent over).
    """
    remaining, remaining_without_tax = refund_remaining(conversion)
    if amount == remaining:
        return remaining_without_tax
    share = (amount * conversion.revenue_without_tax / conversion.revenue).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(share, remaining_without_tax)


def _money(value, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError as error:
        raise ValidationError({field: ["A valid number is required."]}) from error
    if not amount.is_finite():
        raise ValidationError({field: ["A valid number is required."]})
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValidationError({field: ["At most 2 decimal places."]})
    if amount > MONEY_MAX:
        raise ValidationError({field: [f"Must be ≤ {MONEY_MAX}."]})
    return amount.quantize(CENT)


def _normalized(fields: dict) -> dict:
    unknown = set(fields) - REFUND_WRITABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    values = {name: value for name, value in fields.items()}
    for field in ("amount", "amount_without_tax"):
        if field in values:
            values[field] = _money(values[field], field)
    if isinstance(values.get("external_ref"), str):
        values["external_ref"] = values["external_ref"].strip() or None
    if values.get("note") is None:
        values.pop("note", None)
    if values.get("reason") in (None, ""):
        values.pop("reason", None)
    if values.get("refunded_at") is None:
        values.pop("refunded_at", None)
    elif not timezone.is_aware(values["refunded_at"]):
        values["refunded_at"] = timezone.make_aware(values["refunded_at"], timezone.get_current_timezone())
    return values


def _check_time(conversion: Conversion, refunded_at: datetime) -> None:
    if refunded_at > timezone.now() + timedelta(minutes=REFUND_FUTURE_TOLERANCE_MINUTES):
        raise ValidationError(
            {"refunded_at": [f"Must not be more than {REFUND_FUTURE_TOLERANCE_MINUTES} minutes in the future."]}
        )
    if refunded_at < conversion.converted_at:
        raise ValidationError(
            {
                "refunded_at": [
                    f"Must not be before the conversion's converted_at ({conversion.converted_at.isoformat()})."
                ]
            }
        )


def _build(conversion: Conversion, values: dict) -> Refund:
    """A validated, unsaved ledger entry against what remains of the (locked) conversion."""
    refund = Refund(
        organization_id=conversion.organization_id,
        conversion=conversion,
        reason=values.get("reason", Refund.Reason.OTHER),
        note=values.get("note", ""),
        external_ref=values.get("external_ref"),
        refunded_at=values.get("refunded_at") or timezone.now(),
        reverses=values.get("reverses"),
    )
    _check_time(conversion, refund.refunded_at)
    if refund.reverses is not None:
        _build_reversal(conversion, refund, values)
    else:
        _build_refund(conversion, refund, values)
    refund.full_clean(
        exclude=["organization", "conversion", "reverses"], validate_unique=False, validate_constraints=False
    )
    return refund


def _build_refund(conversion: Conversion, refund: Refund, values: dict) -> None:
    amount = values.get("amount")
    if amount is None:
        raise ValidationError({"amount": ["This field is required."]})
    if amount <= 0:
        raise ValidationError({"amount": ["Must be greater than 0."]})
    remaining, remaining_without_tax = refund_remaining(conversion)
    if amount > remaining:
        raise ValidationError({"amount": [f"Exceeds what remains to be refunded: {_remaining_text(conversion)}."]})
    amount_without_tax = values.get("amount_without_tax")
    if amount_without_tax is None:
        amount_without_tax = default_amount_without_tax(conversion, amount)
    elif amount_without_tax < 0:
        raise ValidationError({"amount_without_tax": ["Must be ≥ 0."]})
    elif amount_without_tax > amount:
        raise ValidationError({"amount_without_tax": ["Must not be greater than amount."]})
    elif amount_without_tax > remaining_without_tax:
        raise ValidationError(
            {"amount_without_tax": [f"Exceeds what remains to be refunded: {_remaining_text(conversion)}."]}
        )
    elif amount == remaining and amount_without_tax != remaining_without_tax:
        raise ValidationError(
            {
                "amount_without_tax": [
                    f"This refund takes all that remains, so it takes the {remaining_without_tax} "
                    f"{conversion.currency} that remain without tax."
                ]
            }
        )
    refund.amount, refund.amount_without_tax = amount, amount_without_tax


def _build_reversal(conversion: Conversion, refund: Refund, values: dict) -> None:
    reversed_refund = refund.reverses
    if reversed_refund.organization_id != conversion.organization_id or reversed_refund.conversion_id != conversion.pk:
        raise ValidationError({"reverses": ["Not a refund of this conversion."]})
    if reversed_refund.reverses_id is not None:
        raise ValidationError({"reverses": ["A reversal cannot be reversed; record a new refund instead."]})
    if Refund.objects.filter(reverses=reversed_refund).exists():
        raise ValidationError({"reverses": ["This refund is already reversed."]})
    for field in ("amount", "amount_without_tax"):
        if values.get(field) is not None:
            raise ValidationError({field: ["A reversal takes the amounts of the refund it reverses; leave it out."]})
    if refund.refunded_at < reversed_refund.refunded_at:
        raise ValidationError({"refunded_at": ["Must not be before the refunded_at of the refund it reverses."]})
    refund.amount, refund.amount_without_tax = -reversed_refund.amount, -reversed_refund.amount_without_tax


def _same_as_stored(existing: Refund, conversion: Conversion, values: dict) -> bool:
    if existing.conversion_id != conversion.pk:
        return False
    for field in REFUND_IDENTITY_FIELDS:
        if field not in values:
            continue  # a default the first request resolved (now, the share without tax): not compared
        value = values[field]
        stored = existing.reverses_id if field == "reverses" else getattr(existing, field)
        if field == "reverses":
            value = getattr(value, "pk", value)
        elif field in ("amount", "amount_without_tax") and existing.reverses_id is not None and value is not None:
            stored = -stored
        if field == "note" and (value or "") == (stored or ""):
            continue
        if stored != value:
            return False
    return True


def _replay_or_conflict(existing: Refund, conversion: Conversion, values: dict) -> tuple[Refund, bool]:
    if _same_as_stored(existing, conversion, values):
        return existing, False
    raise ConflictError(
        f"A refund with external_ref '{existing.external_ref}' already exists with different values.",
        existing_id=existing.pk,
    )


def _settle(conversion: Conversion) -> None:
    """Fold the ledger's new sums into everything derived from them, on the locked conversion: reference amounts
    at the conversion's rate, the credit rows' shares, the status, the history row and the report day's mark."""
    rates.apply_reference_amounts(conversion, rates.RateLookup())
    remaining, _ = refund_remaining(conversion)
    if conversion.revenue > 0 and remaining == 0:
        conversion.status = Conversion.Status.REFUNDED
    elif conversion.status == Conversion.Status.REFUNDED and remaining > 0:
        conversion.status = Conversion.Status.APPROVED  # a reversal reopened a fully refunded conversion
    conversion.save()
    conversion_credit_resplit(conversion=conversion)
    conversion_days_mark(conversion.organization, [conversion.converted_date])


def _record(conversion: Conversion, refund: Refund) -> None:
    """Add an entry's amounts to the conversion's sums (the conversion is locked by the caller)."""
    conversion.refunded_revenue += refund.amount
    conversion.refunded_revenue_without_tax += refund.amount_without_tax


@transaction.atomic
def refund_create(*, organization: Organization, conversion: Conversion, **fields) -> tuple[Refund, bool]:
    """Record a refund (or, with ``reverses``, a reversal) of a conversion: returns ``(refund, created)``.

    ``amount`` is in the conversion's currency, tax included, > 0 and at most what remains; ``amount_without_tax``
    defaults to the same share of ``revenue_without_tax``. A repeated ``external_ref`` is a replay when every given
    field equals the stored refund (nothing written, ``created`` False) and a ``ConflictError`` otherwise. The
    conversion's row lock is taken before anything is read, so concurrent refunds, identical or not, are decided
    one after the other against the committed ledger.
    """
    if conversion.organization_id != organization.pk:
        raise ValidationError({"conversion_id": ["Does not exist."]})
    values = _normalized(fields)
    if len(values.get("note") or "") > REFUND_NOTE_MAX_LENGTH:
        raise ValidationError({"note": [f"At most {REFUND_NOTE_MAX_LENGTH} characters."]})
    if len(values.get("external_ref") or "") > REFUND_EXTERNAL_REF_MAX_LENGTH:
        raise ValidationError({"external_ref": [f"At most {REFUND_EXTERNAL_REF_MAX_LENGTH} characters."]})
    reverses = values.get("reverses")
    if reverses is not None and reverses.organization_id != organization.pk:
        raise ValidationError({"reverses": ["Does not exist."]})
    try:
        conversion = lock_for_update(conversion)
    except Conversion.DoesNotExist:
        raise ValidationError({"conversion_id": ["Does not exist."]}) from None
    external_ref = values.get("external_ref")
    known = Refund.objects.for_organization(organization).filter(external_ref=external_ref)
    if external_ref is not None and (existing := known.first()) is not None:
        return _replay_or_conflict(existing, conversion, values)
    refund = _build(conversion, values)
    try:
        with transaction.atomic():
            refund.save()
    except IntegrityError:
        existing = known.first() if external_ref is not None else None
        if existing is not None:
            return _replay_or_conflict(existing, conversion, values)
        if reverses is not None and Refund.objects.filter(reverses=reverses).exists():
            raise ValidationError({"reverses": ["This refund is already reversed."]}) from None
        raise
    _record(conversion, refund)
    _settle(conversion)
    refunds_event(organization=organization, refunds=[refund])
    return refund, True


def refund_record(*, organization: Organization, conversion: Conversion, **fields) -> Refund:
    """Record a refund on purpose (the admin's form and action): a repeated ``external_ref`` is a conflict."""
    refund, created = refund_create(organization=organization, conversion=conversion, **fields)
    if not created:
        raise ConflictError(
            f"A refund with external_ref '{refund.external_ref}' already exists.", existing_id=refund.pk
        )
    return refund


def refund_remaining_build(conversion: Conversion) -> Refund | None:
    """An unsaved refund of all that remains (reason ``other``), what setting the status ``refunded`` records;
    ``None`` when nothing remains. Its time is now, or the conversion's time when that is (a little) later."""
    remaining, remaining_without_tax = refund_remaining(conversion)
    if remaining <= 0:
        return None
    return Refund(
        organization_id=conversion.organization_id,
        conversion=conversion,
        amount=remaining,
        amount_without_tax=remaining_without_tax,
        reason=Refund.Reason.OTHER,
        note="Recorded by setting the status to refunded.",
        refunded_at=max(timezone.now(), conversion.converted_at),
    )


def conversion_refund_remaining(*, conversion: Conversion) -> Refund | None:
    """Record a refund of all that remains on a locked, saved conversion (status ``refunded`` was set); its
    sums, reference amounts, credit and report day follow. Returns the entry, or ``None`` if nothing remained."""
    refund = refund_remaining_build(conversion)
    if refund is None:
        return None
    refund.save()
    _record(conversion, refund)
    _settle(conversion)
    refunds_event(organization=conversion.organization, refunds=[refund])
    return refund


def conversion_refunds_recount(*, conversion: Conversion) -> bool:
    """Recompute a conversion's ``refunded_*`` sums from its ledger (the nightly check's repair). Returns whether
    anything changed."""
    with transaction.atomic():
        conversion = lock_for_update(conversion)
        totals = [Decimal("0.00"), Decimal("0.00")]
        for amount, amount_without_tax in conversion.refunds.values_list("amount", "amount_without_tax"):
            totals[0] += amount
            totals[1] += amount_without_tax
        if (conversion.refunded_revenue, conversion.refunded_revenue_without_tax) == tuple(totals):
            return False
        conversion.refunded_revenue, conversion.refunded_revenue_without_tax = totals
        _settle(conversion)
        return True
