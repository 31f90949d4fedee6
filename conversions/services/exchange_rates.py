"""Writes for exchange rates and the revaluation of the conversions a rate change affects."""

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from conversions import rates
from conversions.attribution import split_money
from conversions.models import REFERENCE_MONEY_FIELDS, Attribution, Conversion, ExchangeRate
from core.services import lock_for_update, model_update

from .base import conversion_days_mark, enqueue_after_commit

RATE_WRITE_BATCH = 1000
EXCHANGE_RATE_WRITABLE_FIELDS = frozenset({"currency", "date", "rate"})


def _enqueue_revaluation(currency: str, since: date) -> None:
    from conversions.tasks import revalue_conversions_task

    enqueue_after_commit(revalue_conversions_task, currency, since.isoformat())


@transaction.atomic
def exchange_rate_set(*, currency: str, on_date: date, rate: Decimal) -> tuple[ExchangeRate, bool]:
    """Create or change the rate of one currency on one day; affected conversions are revalued in the background."""
    currency = (currency or "").upper()
    candidate = ExchangeRate(currency=currency, date=on_date, rate=rate)
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    if rate <= 0:
        raise ValidationError({"rate": ["Must be greater than 0."]})
    exchange_rate, created = ExchangeRate.objects.update_or_create(
        currency=currency, date=on_date, defaults={"rate": rate}
    )
    _enqueue_revaluation(currency, on_date)
    return exchange_rate, created


@transaction.atomic
def exchange_rate_update(*, exchange_rate: ExchangeRate, **fields) -> ExchangeRate:
    exchange_rate = lock_for_update(exchange_rate)
    old = (exchange_rate.currency, exchange_rate.date)
    model_update(instance=exchange_rate, fields=EXCHANGE_RATE_WRITABLE_FIELDS, data=fields)
    exchange_rate.currency = exchange_rate.currency.upper()
    exchange_rate.full_clean(validate_unique=False, validate_constraints=False)
    if exchange_rate.rate <= 0:
        raise ValidationError({"rate": ["Must be greater than 0."]})
    clash = ExchangeRate.objects.filter(currency=exchange_rate.currency, date=exchange_rate.date).exclude(
        pk=exchange_rate.pk
    )
    if clash.exists():
        raise ValidationError({"date": ["A rate for this currency and date already exists."]})
    exchange_rate.save()
    _enqueue_revaluation(old[0], old[1])
    _enqueue_revaluation(exchange_rate.currency, exchange_rate.date)
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, exchange_rate: ExchangeRate) -> None:
    currency, on_date = exchange_rate.currency, exchange_rate.date
    exchange_rate.delete()
    _enqueue_revaluation(currency, on_date)


@transaction.atomic
def exchange_rates_import(
    *, rows: Iterable[tuple[date, str, Decimal]], on_progress: Callable[[int], None] | None = None
) -> dict:
    """Upsert many ECB rates in one transaction (bulk SQL); enqueue one revaluation per currency from its earliest
    changed day. ``on_progress`` is called with the number of rows handled after each write batch."""
    on_progress = on_progress or (lambda handled: None)
    incoming = {(currency, on_date): rate for on_date, currency, rate in rows}
    existing = {
        (rate.currency, rate.date): rate
        for rate in ExchangeRate.objects.filter(currency__in={currency for currency, _ in incoming})
    }
    to_create, to_update = [], []
    earliest_change: dict[str, date] = {}
    for (currency, on_date), rate in incoming.items():
        current = existing.get((currency, on_date))
        if current is None:
            to_create.append(ExchangeRate(currency=currency, date=on_date, rate=rate))
        elif current.rate != rate:
            current.rate = rate
            to_update.append(current)
        else:
            continue
        earliest_change[currency] = min(on_date, earliest_change.get(currency, on_date))
    unchanged = len(incoming) - len(to_create) - len(to_update)
    on_progress(unchanged)
    for start in range(0, len(to_create), RATE_WRITE_BATCH):
        on_progress(len(ExchangeRate.objects.bulk_create(to_create[start : start + RATE_WRITE_BATCH])))
    for start in range(0, len(to_update), RATE_WRITE_BATCH):
        batch = to_update[start : start + RATE_WRITE_BATCH]
        ExchangeRate.objects.bulk_update(batch, ["rate", "updated_at"])
        on_progress(len(batch))
    for currency, since in earliest_change.items():
        _enqueue_revaluation(currency, since)
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}


def _revaluation_ids(currency: str, since: date) -> list:
    affected = (
        Conversion.objects.filter(Q(currency=currency) | Q(reference_currency=currency), converted_date__gte=since)
        .exclude(currency=F("reference_currency"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [str(pk) for pk in affected]


def _chunks(ids: list) -> list[list]:
    size = settings.REVALUATION_CHUNK_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def conversions_revalue(*, currency: str, since: date) -> int:
    """Recompute reference amounts (and the credited reference amounts) of conversions a rate change may affect.

    Affected: conversions in or into ``currency`` dated on or after ``since``. Done in chunks, each one
    transaction with bulk updates, and exact Decimal arithmetic on every database. Idempotent. Runs inline (for
    commands and tests); the background path is ``conversions_revalue_in_chunks``.
    """
    return sum(conversions_revalue_chunk(conversion_ids=chunk) for chunk in _chunks(_revaluation_ids(currency, since)))


def conversions_revalue_in_chunks(*, currency: str, since: date) -> int:
    """The background revaluation: one small task per chunk of ``REVALUATION_CHUNK_SIZE`` conversions.

    A worker killed in the middle loses at most one chunk's work (its message is delivered again and the chunk,
    idempotent, is redone), so the broker's visibility timeout can be minutes instead of an hour. Returns the
    number of chunks enqueued.
    """
    from conversions.tasks import revalue_conversion_chunk_task

    chunks = _chunks(_revaluation_ids(currency, since))
    for chunk in chunks:
        enqueue_after_commit(revalue_conversion_chunk_task, chunk)
    return len(chunks)


@transaction.atomic
def conversions_revalue_chunk(*, conversion_ids: list) -> int:
    """Revalue one chunk of conversions under row locks; returns how many changed."""
    ids = conversion_ids
    # Read under a row lock right before computing: a revenue edited meanwhile is either already committed here
    # or waits for this chunk and then computes its own reference amounts (see conversion_update).
    conversions = list(
        Conversion.objects.filter(pk__in=ids)
        .select_related("organization")
        .select_for_update(of=("self",))
        .order_by("pk")
        .prefetch_related("attributions")
    )
    rate_lookup = rates.RateLookup()
    changed_conversions, changed_attributions = [], []
    touched: dict = {}
    for conversion in conversions:
        before = tuple(getattr(conversion, field) for field in REFERENCE_MONEY_FIELDS)
        rates.apply_reference_amounts(conversion, rate_lookup)
        if before == tuple(getattr(conversion, field) for field in REFERENCE_MONEY_FIELDS):
            continue
        changed_conversions.append(conversion)
        touched.setdefault(conversion.organization, set()).add(conversion.converted_date)
        attributions = list(conversion.attributions.all())
        weights = [attribution.weight for attribution in attributions]
        for field in REFERENCE_MONEY_FIELDS:
            for attribution, amount in zip(attributions, split_money(getattr(conversion, field), weights), strict=True):
                setattr(attribution, field, amount)
        changed_attributions.extend(attributions)
    Conversion.objects.bulk_update(changed_conversions, ["reference_rate", *REFERENCE_MONEY_FIELDS], batch_size=500)
    Attribution.objects.bulk_update(changed_attributions, list(REFERENCE_MONEY_FIELDS), batch_size=500)
    for organization, days in touched.items():
        conversion_days_mark(organization, days)
    return len(changed_conversions)
