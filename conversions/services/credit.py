"""Attribution: the credit rows a conversion should have, stored and recomputed when the data changes."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS
from conversions.attribution import (
    WEIGHT_QUANTUM,
    AttributionRules,
    Candidate,
    Touch,
    counted_candidates,
    explain,
    split_exactly,
    split_money,
)
from conversions.models import CREDITED_MONEY_FIELDS, WEIGHT_DECIMAL_PLACES, Attribution, Conversion, Touchpoint
from conversions.selectors import touches_by_contact

from .base import CANDIDATE_TOUCHPOINT_KINDS, conversion_days_mark, enqueue_after_commit
from .ingest import attributions_insert


def _window_start(conversion: Conversion) -> datetime:
    """The earliest time a touch can count for this conversion (its longest window back)."""
    return conversion.converted_at - timedelta(days=AttributionRules.for_conversion(conversion).longest_window_days)


def _touches(conversion: Conversion, rules: AttributionRules) -> list[Touch]:
    """The conversion's contact's opens and clicks that its longest window can reach."""
    if conversion.contact_id is None:
        return []
    start = conversion.converted_at - timedelta(days=rules.longest_window_days)
    touches = touches_by_contact(
        [conversion.contact_id], start, conversion.converted_at, kinds=CANDIDATE_TOUCHPOINT_KINDS
    )
    return touches.get(conversion.contact_id, [])


def _explicit_credit(conversion: Conversion) -> list[tuple]:
    if conversion.campaign_id is None and conversion.delivery_id is None:
        return []
    campaign_id = conversion.campaign_id or (conversion.delivery.campaign_id if conversion.delivery else None)
    return [(campaign_id, conversion.delivery_id, Decimal(1))]


def _frozen_credit(existing: list[Attribution]) -> list[tuple]:
    """The credit a conversion without a contact keeps: its current targets and weights, made to sum to exactly 1
    again when a deleted campaign or delivery took some of them away."""
    scale = Decimal(1).scaleb(WEIGHT_DECIMAL_PLACES)
    weights = split_exactly(Decimal(1), [int(row.weight * scale) for row in existing], WEIGHT_QUANTUM)
    return [(row.campaign_id, row.delivery_id, weight) for row, weight in zip(existing, weights, strict=True)]


def conversion_credit_rows(
    conversion: Conversion, touches: list[Touch] | None = None, *, existing: list[Attribution] | None = None
) -> list[Attribution]:
    """The attribution rows a conversion should have now (unsaved): explicit target first, else touchpoints.

    The touchpoint credit is the credit of ``attribution.explain`` (the rule the explain endpoint shows): the
    organization's per-kind windows and open settings, or the conversion's own window when it was given.
    ``touches`` (the contact's touches, a superset of the window is fine) may be given by a caller that fetched
    the touchpoints of many conversions in one query.
    A conversion without a contact (its contact was deleted, and its touchpoints with it) keeps the touchpoint
    credit it had (``existing``, money re-split): a later edit of its notes or revenue never drops that credit.
    """
    credit = _explicit_credit(conversion)
    if not credit and conversion.contact_id is None and existing:
        credit = _frozen_credit(existing)
    if not credit:
        rules = AttributionRules.for_conversion(conversion)
        if touches is None:
            touches = _touches(conversion, rules)
        explanation = explain(
            model=conversion.attribution_model, rules=rules, converted_at=conversion.converted_at, touches=touches
        )
        credit = [(item.campaign_id, item.delivery_id, item.weight) for item in explanation.credit]
    weights = [weight for _, _, weight in credit]
    money = {field: split_money(getattr(conversion, field), weights) for field in CREDITED_MONEY_FIELDS}
    return [
        Attribution(
            organization_id=conversion.organization_id,
            conversion=conversion,
            campaign_id=campaign_id,
            delivery_id=delivery_id,
            weight=weight,
            **{field: amounts[index] for field, amounts in money.items()},
        )
        for index, (campaign_id, delivery_id, weight) in enumerate(credit)
    ]


def conversion_credit_resplit(*, conversion: Conversion) -> list[Attribution]:
    """Split the conversion's money again over its credit rows with their weights unchanged (a refund or a
    revaluation changed the amounts, not who earned them): every credited amount to the cent, largest remainder
    like the credit itself, so a target's credited net is its credited gross minus its credited refunds."""
    rows = list(conversion.attributions.all())
    if not rows:
        return rows
    weights = [row.weight for row in rows]
    for field in CREDITED_MONEY_FIELDS:
        for row, amount in zip(rows, split_money(getattr(conversion, field), weights), strict=True):
            setattr(row, field, amount)
    Attribution.objects.bulk_update(rows, list(CREDITED_MONEY_FIELDS))
    return rows


@transaction.atomic
def conversion_attribute(*, conversion: Conversion, keep_touch_credit: bool = True) -> list[Attribution]:
    """Replace a conversion's credit with what its data says now. Idempotent.

    ``keep_touch_credit=False`` when the credit it has was explicit and its target was just emptied: then it is
    not kept as frozen credit (see ``conversion_credit_rows``)."""
    existing = list(conversion.attributions.all()) if keep_touch_credit else []
    conversion.attributions.all().delete()
    rows = Attribution.objects.bulk_create(conversion_credit_rows(conversion, existing=existing))
    conversion._prefetched_objects_cache = {}
    return rows


REATTRIBUTE_LOCK_CHUNK_SIZE = 100  # conversions locked and re-attributed per transaction


def conversions_reattribute(*, conversion_ids: Iterable) -> int:
    """Re-attribute these conversions (those that still exist); returns how many were processed.

    Each chunk is read under a row lock in its own transaction, right before its credit is computed: a revenue
    changed by a concurrent request is either committed before the chunk reads it (and credited with the new
    amount) or waits for the chunk and then re-attributes the conversion itself. Nothing is computed from rows
    read minutes earlier.
    """
    ids = sorted({str(pk) for pk in conversion_ids})
    processed = 0
    for start in range(0, len(ids), REATTRIBUTE_LOCK_CHUNK_SIZE):
        processed += _reattribute_chunk(ids[start : start + REATTRIBUTE_LOCK_CHUNK_SIZE])
    return processed


@transaction.atomic
def _reattribute_chunk(ids: list[str]) -> int:
    conversions = list(
        Conversion.objects.filter(pk__in=ids)
        .select_related("organization", "delivery")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    touched: dict = {}
    for conversion in conversions:
        before = sorted(conversion.attributions.values_list("campaign_id", "delivery_id", "weight"), key=str)
        rows = conversion_attribute(conversion=conversion)
        after = sorted(((row.campaign_id, row.delivery_id, row.weight) for row in rows), key=str)
        # A conversion credited by touchpoints is re-attributed because its touchpoints (or their targets) changed:
        # the credit another model would give may have changed even when the stored credit did not, and the model
        # comparison rollup must be rebuilt for its day.
        if before != after or _credited_by_touches(conversion):
            touched.setdefault(conversion.organization, set()).add(conversion.converted_date)
    for organization, days in touched.items():
        conversion_days_mark(organization, days)
    return len(conversions)


def touchpoints_reach_days_mark(*, organization, touchpoints: QuerySet) -> None:
    """Mark the days of the touch-credited conversions these touchpoints can reach (same contact, up to the longest
    window after the touch), before the touchpoints or their targets change in a way no re-attribution of the
    stored credit sees: the credit other models would give (the model comparison) may move."""
    reach = Touchpoint.objects.filter(
        pk__in=touchpoints.values("pk"),
        contact_id=OuterRef("contact_id"),
        occurred_at__lte=OuterRef("converted_at"),
        occurred_at__gte=OuterRef("converted_at") - timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS),
    )
    days = (
        Conversion.objects.for_organization(organization)
        .filter(Exists(reach), campaign__isnull=True, delivery__isnull=True)
        .values_list("converted_date", flat=True)
        .distinct()
    )
    conversion_days_mark(organization, list(days))


REATTRIBUTE_INLINE_MAX_CONVERSIONS = 500  # more than this is re-attributed in the background
REATTRIBUTION_TASK_BATCH = 500  # conversions per background task


def conversions_reattribute_enqueue(*, conversion_ids: list) -> None:
    """Re-attribute these conversions in background tasks of ``REATTRIBUTION_TASK_BATCH``, after commit."""
    from conversions.tasks import reattribute_conversions_task

    ids = [str(pk) for pk in conversion_ids]
    for start in range(0, len(ids), REATTRIBUTION_TASK_BATCH):
        enqueue_after_commit(reattribute_conversions_task, ids[start : start + REATTRIBUTION_TASK_BATCH])


def conversions_reattribute_requested(*, conversion_ids: list) -> tuple[int, bool]:
    """Re-attribute on request (the admin action): a few at once, many in the background.

    Returns how many conversions were (or will be) re-attributed and whether it happens in the background.
    """
    if len(conversion_ids) <= REATTRIBUTE_INLINE_MAX_CONVERSIONS:
        return conversions_reattribute(conversion_ids=conversion_ids), False
    conversions_reattribute_enqueue(conversion_ids=conversion_ids)
    return len(conversion_ids), True


def conversions_reattribute_contact_window(*, contact_id, start: datetime, end: datetime) -> int:
    """Re-attribute one contact's conversions in ``[start, end]`` (the reach of a changed touchpoint): at once up to
    ``REATTRIBUTE_INLINE_MAX_CONVERSIONS``, else in background tasks of ``REATTRIBUTION_TASK_BATCH`` (small tasks,
    so a killed worker loses at most one of them). Returns how many conversions are concerned."""
    ids = Conversion.objects.filter(
        contact_id=contact_id, converted_at__gte=start, converted_at__lte=end, campaign__isnull=True,
        delivery__isnull=True,
    ).values_list("pk", flat=True)  # fmt: skip
    return conversions_reattribute_requested(conversion_ids=list(ids))[0]


def _credited_by_touches(conversion: Conversion) -> bool:
    return bool(conversion.contact_id) and conversion.campaign_id is None and conversion.delivery_id is None


def _conversions_touches(conversions: Sequence[Conversion]) -> list[list[Touch]]:
    """The opens and clicks of each conversion's contact that its longest window can reach (aligned with the
    input; none for conversions whose credit does not come from touchpoints), read in one query."""
    touched = [c for c in conversions if _credited_by_touches(c)]
    touches = (
        touches_by_contact(
            {c.contact_id for c in touched},
            min(_window_start(c) for c in touched),
            max(c.converted_at for c in touched),
            kinds=CANDIDATE_TOUCHPOINT_KINDS,
        )
        if touched
        else {}
    )
    return [touches.get(c.contact_id, []) if _credited_by_touches(c) else [] for c in conversions]


def conversions_candidates(conversions: Sequence[Conversion]) -> list[list[Candidate]]:
    """The candidate touchpoints of each of these conversions (aligned with the input), read in one query.

    The touches ``attribution.explain`` counts for each (``counted_candidates``: the one place the candidate rules
    live, shared with storing credit), so the model comparison credits exactly what storing each model would.
    Conversions with explicit credit or without a contact get no candidates (their credit does not come from
    touchpoints).
    """
    return [
        counted_candidates(
            rules=AttributionRules.for_conversion(conversion), converted_at=conversion.converted_at, touches=touches
        )
        if touches
        else []
        for conversion, touches in zip(conversions, _conversions_touches(conversions), strict=True)
    ]


def conversions_attribute_many(conversions: list[Conversion]) -> None:
    """Credit for freshly inserted conversions: one touchpoint query for all of them, one INSERT of the rows."""
    rows = []
    for conversion, touches in zip(conversions, _conversions_touches(conversions), strict=True):
        rows.extend(conversion_credit_rows(conversion, touches))
    attributions_insert(rows)
