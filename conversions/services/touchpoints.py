"""Writes for touchpoints; changes inside existing conversions' windows re-attribute them in the background."""

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, Organization
from contacts.models import Contact
from conversions.models import Campaign, Conversion, Delivery, Touchpoint
from core.exceptions import ConflictError
from core.services import lock_for_update, model_update

from .base import CANDIDATE_TOUCHPOINT_KINDS, DATETIME_OUT_OF_RANGE, check_same_organization, enqueue_after_commit
from .credit import conversions_reattribute_enqueue
from .events import touchpoints_event

TOUCHPOINT_WRITABLE_FIELDS = frozenset(
    {"contact", "kind", "campaign", "delivery", "occurred_at", "external_id", "is_machine"}
)


TOUCHPOINT_RELATED = {"contact": Contact, "campaign": Campaign, "delivery": Delivery}
# Touchpoints per lookup query of a bulk load: well under SQLite's bound on query parameters.
TOUCHPOINTS_BULK_CHUNK_SIZE = 1000


def _touchpoint_validate(touchpoint: Touchpoint, *, related_checked: bool = False) -> None:
    """The rules of a touchpoint. ``related_checked``: the caller has already checked, in bulk, that its contact,
    campaign and delivery exist in its organization (``_touchpoints_related_check``), so ``full_clean`` does not
    look each one up again."""
    if not related_checked:
        check_same_organization(
            touchpoint.organization,
            contact=touchpoint.contact,
            campaign=touchpoint.campaign,
            delivery=touchpoint.delivery,
        )
    if touchpoint.campaign_id is None and touchpoint.delivery_id is None:
        raise ValidationError({"campaign_id": ["A touchpoint needs a campaign_id or a delivery_id."]})
    exclude = ["organization", *TOUCHPOINT_RELATED] if related_checked else ["organization"]
    touchpoint.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    try:
        # The conversions it may credit are looked up to the longest window after it.
        touchpoint.occurred_at + timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)
    except OverflowError:
        raise ValidationError({"occurred_at": [DATETIME_OUT_OF_RANGE]}) from None


def _enqueue_reattribution_for_touches(touches: Iterable[tuple]) -> None:
    """Late data: re-attribute, in the background, conversions whose window may contain these touches.

    A touch at ``t`` can only matter to a conversion of the same contact in ``[t, t + 90 days]`` (the longest
    window); the task recomputes each such conversion exactly, so over-selecting is harmless.
    """
    from conversions.tasks import reattribute_contact_window_task

    for contact_id, occurred_at in touches:
        enqueue_after_commit(
            reattribute_contact_window_task,
            str(contact_id),
            occurred_at.isoformat(),
            (occurred_at + timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)).isoformat(),
        )


TOUCHPOINT_IDENTITY_FIELDS = ("contact_id", "campaign_id", "delivery_id", "kind", "occurred_at", "is_machine")


def _replay_or_conflict(existing: Touchpoint, candidate: Touchpoint) -> tuple[Touchpoint, bool]:
    if all(getattr(existing, name) == getattr(candidate, name) for name in TOUCHPOINT_IDENTITY_FIELDS):
        return existing, False
    raise ConflictError(
        f"A touchpoint with external_id '{existing.external_id}' already exists with different values.",
        existing_id=existing.pk,
    )


@transaction.atomic
def touchpoint_create_or_replay(*, organization: Organization, **fields) -> tuple[Touchpoint, bool]:
    """Store a touchpoint, or recognise a repeat of one by its ``external_id``: returns ``(touchpoint, created)``.

    Like a conversion's ``order_id``: the same touch again is a replay (nothing written), a different one with a
    known ``external_id`` is a ``ConflictError``; concurrent identical sends race on the unique constraint and the
    losers take the replay path.
    """
    if fields.get("external_id") == "":
        fields["external_id"] = None
    touchpoint = Touchpoint(organization=organization, **fields)
    _touchpoint_validate(touchpoint)
    known = Touchpoint.objects.for_organization(organization).filter(external_id=touchpoint.external_id)
    if touchpoint.external_id is not None and (existing := known.first()) is not None:
        return _replay_or_conflict(existing, touchpoint)
    try:
        with transaction.atomic():
            touchpoint.save()
    except IntegrityError:
        existing = known.first() if touchpoint.external_id is not None else None
        if existing is None:
            raise
        return _replay_or_conflict(existing, touchpoint)
    if touchpoint.kind in CANDIDATE_TOUCHPOINT_KINDS:
        _enqueue_reattribution_for_touches([(touchpoint.contact_id, touchpoint.occurred_at)])
    touchpoints_event(organization=organization, type="touchpoint.created", touchpoints=[touchpoint])
    return touchpoint, True


def touchpoint_create(*, organization: Organization, **fields) -> Touchpoint:
    """Store a touchpoint; a repeat of a stored ``external_id`` is a ``ConflictError`` (for callers that create
    on purpose, such as the admin's add form; the API replays identical repeats instead)."""
    touchpoint, created = touchpoint_create_or_replay(organization=organization, **fields)
    if not created:
        raise ConflictError(
            f"A touchpoint with external_id '{touchpoint.external_id}' already exists.", existing_id=touchpoint.pk
        )
    return touchpoint


def _chunks(values: list, size: int = TOUCHPOINTS_BULK_CHUNK_SIZE):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _touchpoints_related_check(organization: Organization, rows: list[Touchpoint]) -> None:
    """``check_same_organization`` and the foreign-key checks of ``full_clean`` for many touchpoints: one query
    per related model and chunk, instead of two or three per touchpoint. Same answer: ``Does not exist.``"""
    for name, model in TOUCHPOINT_RELATED.items():
        ids = sorted({pk for row in rows if (pk := getattr(row, f"{name}_id")) is not None}, key=str)
        owners: dict = {}
        for chunk in _chunks(ids):
            owners.update(model._base_manager.filter(pk__in=chunk).values_list("pk", "organization_id"))
        for row in rows:
            pk = getattr(row, f"{name}_id")
            if pk is not None and owners.get(model._meta.pk.to_python(pk)) != organization.pk:
                raise ValidationError({name: ["Does not exist."]})


@transaction.atomic
def touchpoints_bulk_create(*, organization: Organization, touchpoints: list[dict]) -> list[Touchpoint]:
    """Load many touchpoints in one INSERT per chunk; affected conversions are re-attributed in batched background
    tasks.

    Every touchpoint is validated first (a bad one raises and nothing is stored), its contact, campaign and
    delivery with one query per model and chunk. One query per chunk finds the conversions whose window may
    contain a new touch, instead of one task per touchpoint.
    """
    rows = [Touchpoint(organization=organization, **fields) for fields in touchpoints]
    _touchpoints_related_check(organization, rows)
    for row in rows:
        _touchpoint_validate(row, related_checked=True)
    Touchpoint.objects.bulk_create(rows, batch_size=TOUCHPOINTS_BULK_CHUNK_SIZE)
    touchpoints_event(organization=organization, type="touchpoint.created", touchpoints=rows)
    reach: dict = {}
    for row in rows:
        if row.kind in CANDIDATE_TOUCHPOINT_KINDS:
            start, end = reach.get(row.contact_id, (row.occurred_at, row.occurred_at))
            reach[row.contact_id] = (min(start, row.occurred_at), max(end, row.occurred_at))
    if reach:
        earliest = min(start for start, _ in reach.values())
        limit = timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)
        affected = []
        for contact_ids in _chunks(list(reach)):
            candidates = Conversion.objects.filter(
                contact_id__in=contact_ids, converted_at__gte=earliest, campaign__isnull=True, delivery__isnull=True
            ).values_list("pk", "contact_id", "converted_at")
            affected.extend(
                str(pk)
                for pk, contact_id, converted_at in candidates
                if reach[contact_id][0] <= converted_at <= reach[contact_id][1] + limit
            )
        conversions_reattribute_enqueue(conversion_ids=affected)
    return rows


@transaction.atomic
def touchpoint_update(*, touchpoint: Touchpoint, **fields) -> Touchpoint:
    touchpoint = lock_for_update(touchpoint)
    before = (touchpoint.contact_id, touchpoint.occurred_at)
    model_update(instance=touchpoint, fields=TOUCHPOINT_WRITABLE_FIELDS, data=fields)
    _touchpoint_validate(touchpoint)
    touchpoint.save()
    _enqueue_reattribution_for_touches({before, (touchpoint.contact_id, touchpoint.occurred_at)})
    return touchpoint


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint) -> None:
    touch = (touchpoint.contact_id, touchpoint.occurred_at)
    touchpoint.delete()
    _enqueue_reattribution_for_touches([touch])
