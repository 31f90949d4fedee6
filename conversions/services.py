"""Writes for campaigns, deliveries, touchpoints, conversions, attribution and exchange rates.

The one path for business rules: the API, the batch endpoint, the admin, the CSV import, the management
commands and the Celery tasks all call these functions, so validation, deduplication, attribution, reference
amounts and report invalidation cannot differ between them.
"""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.exceptions import ConflictError
from accounts.history import history_context
from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, Organization
from accounts.validators import validate_timezone
from contacts.models import Contact
from contacts.services import contact_get_or_create_by_email, normalize_email

from . import rates
from .attribution import Candidate, choose_credit, split_money
from .models import (
    COUNT_MAX,
    COUNT_MIN,
    MONEY_MAX,
    Attribution,
    Campaign,
    Conversion,
    Delivery,
    ExchangeRate,
    Touchpoint,
)

FUTURE_TOLERANCE = timedelta(minutes=5)
DATETIME_OUT_OF_RANGE = "Datetime value out of range."
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 64
METADATA_STRING_MAX_LENGTH = 500
CANDIDATE_TOUCHPOINT_KINDS = (Touchpoint.Kind.OPEN, Touchpoint.Kind.CLICK)

CONVERSION_WRITABLE_FIELDS = frozenset(
    {
        "contact", "email", "type", "status", "count", "revenue", "revenue_without_tax", "payout", "currency",
        "order_id", "campaign", "delivery", "attribution_model", "attribution_window", "origin", "country",
        "coupon_code", "notes", "metadata", "converted_at", "timezone",
    }
)  # fmt: skip


def _after_commit(task, *args) -> None:
    """Enqueue a Celery task once the current transaction has committed (never for rolled-back work)."""
    transaction.on_commit(lambda: task.delay(*args))


# --- Campaigns, deliveries ------------------------------------------------------------------------------------------


def _check_same_organization(organization: Organization, **related) -> None:
    errors = {
        name: ["Does not exist."]
        for name, obj in related.items()
        if obj is not None and obj.organization_id != organization.pk
    }
    if errors:
        raise ValidationError(errors)


def _clean_and_save(instance, **related) -> None:
    _check_same_organization(instance.organization, **related)
    instance.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    instance.save()


@transaction.atomic
def campaign_create(*, organization: Organization, **fields) -> Campaign:
    campaign = Campaign(organization=organization, **fields)
    _clean_and_save(campaign)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, **fields) -> Campaign:
    for name, value in fields.items():
        setattr(campaign, name, value)
    _clean_and_save(campaign)
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign; conversions it was credited with are re-attributed among what remains."""
    affected = list(Attribution.objects.filter(campaign=campaign).values_list("conversion_id", flat=True))
    campaign.delete()
    conversions_reattribute(conversion_ids=affected)


@transaction.atomic
def delivery_create(*, organization: Organization, **fields) -> Delivery:
    delivery = Delivery(organization=organization, **fields)
    _clean_and_save(delivery, campaign=delivery.campaign)
    return delivery


@transaction.atomic
def delivery_update(*, delivery: Delivery, **fields) -> Delivery:
    campaign_changed = "campaign" in fields and fields["campaign"] != delivery.campaign
    for name, value in fields.items():
        setattr(delivery, name, value)
    _clean_and_save(delivery, campaign=delivery.campaign)
    if campaign_changed:
        # Credit to a delivery counts for its campaign: moving the delivery moves that credit.
        affected = Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True)
        conversions_reattribute(conversion_ids=list(affected))
    return delivery


@transaction.atomic
def delivery_delete(*, delivery: Delivery) -> None:
    affected = list(Attribution.objects.filter(delivery=delivery).values_list("conversion_id", flat=True))
    delivery.delete()
    conversions_reattribute(conversion_ids=affected)


# --- Touchpoints ----------------------------------------------------------------------------------------------------


def _touchpoint_validate(touchpoint: Touchpoint) -> None:
    _check_same_organization(
        touchpoint.organization,
        contact=touchpoint.contact,
        campaign=touchpoint.campaign,
        delivery=touchpoint.delivery,
    )
    if touchpoint.campaign_id is None and touchpoint.delivery_id is None:
        raise ValidationError({"campaign_id": ["A touchpoint needs a campaign_id or a delivery_id."]})
    touchpoint.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
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
    from .tasks import reattribute_contact_window_task

    for contact_id, occurred_at in touches:
        _after_commit(
            reattribute_contact_window_task,
            str(contact_id),
            occurred_at.isoformat(),
            (occurred_at + timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)).isoformat(),
        )


@transaction.atomic
def touchpoint_create(*, organization: Organization, **fields) -> Touchpoint:
    touchpoint = Touchpoint(organization=organization, **fields)
    _touchpoint_validate(touchpoint)
    touchpoint.save()
    if touchpoint.kind in CANDIDATE_TOUCHPOINT_KINDS:
        _enqueue_reattribution_for_touches([(touchpoint.contact_id, touchpoint.occurred_at)])
    return touchpoint


REATTRIBUTION_TASK_BATCH = 500


@transaction.atomic
def touchpoints_bulk_create(*, organization: Organization, touchpoints: list[dict]) -> list[Touchpoint]:
    """Load many touchpoints in one INSERT; affected conversions are re-attributed in batched background tasks.

    Every touchpoint is validated first (a bad one raises and nothing is stored). One query finds the
    conversions whose window may contain a new touch, instead of one task per touchpoint.
    """
    from .tasks import reattribute_conversions_task

    rows = [Touchpoint(organization=organization, **fields) for fields in touchpoints]
    for row in rows:
        _touchpoint_validate(row)
    Touchpoint.objects.bulk_create(rows, batch_size=1000)
    reach: dict = {}
    for row in rows:
        if row.kind in CANDIDATE_TOUCHPOINT_KINDS:
            start, end = reach.get(row.contact_id, (row.occurred_at, row.occurred_at))
            reach[row.contact_id] = (min(start, row.occurred_at), max(end, row.occurred_at))
    if reach:
        earliest = min(start for start, _ in reach.values())
        candidates = Conversion.objects.filter(
            contact_id__in=list(reach), converted_at__gte=earliest, campaign__isnull=True, delivery__isnull=True
        ).values_list("pk", "contact_id", "converted_at")
        limit = timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)
        affected = [
            str(pk)
            for pk, contact_id, converted_at in candidates
            if reach[contact_id][0] <= converted_at <= reach[contact_id][1] + limit
        ]
        for start in range(0, len(affected), REATTRIBUTION_TASK_BATCH):
            _after_commit(reattribute_conversions_task, affected[start : start + REATTRIBUTION_TASK_BATCH])
    return rows


@transaction.atomic
def touchpoint_update(*, touchpoint: Touchpoint, **fields) -> Touchpoint:
    before = (touchpoint.contact_id, touchpoint.occurred_at)
    for name, value in fields.items():
        setattr(touchpoint, name, value)
    _touchpoint_validate(touchpoint)
    touchpoint.save()
    _enqueue_reattribution_for_touches({before, (touchpoint.contact_id, touchpoint.occurred_at)})
    return touchpoint


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint) -> None:
    touch = (touchpoint.contact_id, touchpoint.occurred_at)
    touchpoint.delete()
    _enqueue_reattribution_for_touches([touch])


# --- Conversions ----------------------------------------------------------------------------------------------------


def _storable_text(text) -> bool:
    """Whether a JSON string can be stored (PostgreSQL's jsonb refuses NUL) and rendered back as UTF-8 (a lone
    surrogate cannot be). Not a string: nothing to check here."""
    if not isinstance(text, str):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _validate_metadata(metadata) -> None:
    if metadata is None:
        return
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": ["Must be a JSON object."]})
    problems = []
    if len(metadata) > METADATA_MAX_KEYS:
        problems.append(f"At most {METADATA_MAX_KEYS} keys (got {len(metadata)}).")
    for key, value in metadata.items():
        if not (_storable_text(key) and _storable_text(value)):
            problems.append("Keys and string values must not contain NUL characters or lone surrogates.")
        elif not isinstance(key, str) or not 1 <= len(key) <= METADATA_KEY_MAX_LENGTH:
            problems.append(f"Key '{str(key)[:80]}' must be 1..{METADATA_KEY_MAX_LENGTH} characters.")
        elif isinstance(value, str):
            if len(value) > METADATA_STRING_MAX_LENGTH:
                problems.append(f"Value of '{key}' is longer than {METADATA_STRING_MAX_LENGTH} characters.")
        elif value is not None and not isinstance(value, bool | int | float):
            problems.append(f"Value of '{key}' must be a string, number, boolean or null.")
    if problems:
        raise ValidationError({"metadata": problems})


def _money(value, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError as error:
        raise ValidationError({field: ["A valid number is required."]}) from error
    if not amount.is_finite():
        raise ValidationError({field: ["A valid number is required."]})
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(rates.CENT):
        raise ValidationError({field: ["At most 2 decimal places."]})
    if amount < 0:
        raise ValidationError({field: ["Must be ≥ 0."]})
    if amount > MONEY_MAX:
        raise ValidationError({field: [f"Must be ≤ {MONEY_MAX}."]})
    return amount.quantize(rates.CENT)


def _aware(value: datetime, zone_name: str | None, organization: Organization) -> datetime:
    """A naive time is read in ``timezone`` from the payload, or else in the organization's time zone.

    The time must stay a valid datetime where it is used: stored in UTC, its day cut in the organization's zone,
    and its longest attribution window looked back on; near year 1 it does not, which is a 400, not a crash.
    """
    if not timezone.is_aware(value):
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else organization.zone
        value = value.replace(tzinfo=zone)
    try:
        value.astimezone(UTC) - timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)
        timezone.localtime(value, organization.zone)
    except OverflowError:
        raise ValidationError({"converted_at": [DATETIME_OUT_OF_RANGE]}) from None
    return value


def _normalized(organization: Organization, fields: dict) -> dict:
    """The payload with every value in its stored form, without touching the database."""
    values = dict(fields)
    unknown = set(values) - CONVERSION_WRITABLE_FIELDS
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    zone_name = values.pop("timezone", None)
    if zone_name:
        try:
            validate_timezone(zone_name)
        except ValidationError as error:
            raise ValidationError({"timezone": error.messages}) from error
    if "email" in values:
        values["email"] = normalize_email(values["email"])
    for field in ("revenue", "revenue_without_tax", "payout"):
        if field in values:
            values[field] = _money(values[field], field)
    for field in ("currency", "country"):
        if values.get(field):
            values[field] = values[field].upper()
    for field in ("order_id", "origin", "coupon_code"):
        if isinstance(values.get(field), str):
            values[field] = values[field].strip()
    if "order_id" in values:
        values["order_id"] = values["order_id"] or None
    if values.get("converted_at") is not None:
        values["converted_at"] = _aware(values["converted_at"], zone_name, organization)
    return values


def _defaults_resolved(conversion: Conversion, values: dict) -> dict:
    """A repeated payload with the values that ask for a default (``null``/``""``) replaced by that default, as
    creating the conversion applied it, so that POSTing the very same payload twice is always a replay."""
    values = dict(values)
    if not values.get("email"):
        values.pop("email", None)  # no e-mail: nothing to find the contact by
    elif values.get("contact") is None:
        values.pop("contact", None)  # the contact is the e-mail's, compared as such
    if "currency" in values and not values["currency"]:
        values["currency"] = conversion.reference_currency  # the organization's, fixed at its creation
    if "country" in values and not values["country"] and conversion.contact_id:
        values["country"] = conversion.contact.country
    if "revenue_without_tax" in values and values["revenue_without_tax"] is None:
        values["revenue_without_tax"] = values.get("revenue", conversion.revenue)
    return values


def _same_as_stored(conversion: Conversion, values: dict) -> bool:
    """Whether every field of a repeated payload equals what is stored (the idempotent-replay test)."""
    for field, value in _defaults_resolved(conversion, values).items():
        if field == "email":
            stored = conversion.contact.email if conversion.contact_id else None
        elif field in ("contact", "campaign", "delivery"):
            stored, value = getattr(conversion, f"{field}_id"), getattr(value, "pk", value)
        else:
            stored = getattr(conversion, field)
        if stored in ("", None) and value in ("", None):
            continue
        if stored != value:
            return False
    return True


def _replay_or_conflict(existing: Conversion, values: dict) -> tuple[Conversion, bool]:
    if _same_as_stored(existing, values):
        return existing, False
    raise ConflictError(
        f"A conversion with order_id '{existing.order_id}' already exists with different values.",
        existing_id=existing.pk,
    )


class _Lookups:
    """Per-call caches so a batch resolves each e-mail and each exchange rate once, not once per item.

    With ``defer_new_contacts`` an unknown e-mail gets an unsaved contact, saved later only if its item is
    stored, so an invalid item leaves no contact behind.
    """

    def __init__(self, contacts_by_email: dict | None = None, defer_new_contacts: bool = False):
        self.contacts_by_email = contacts_by_email or {}
        self.defer_new_contacts = defer_new_contacts
        self.rates: dict = {}

    def contact(self, organization: Organization, email: str) -> Contact:
        if email not in self.contacts_by_email:
            if self.defer_new_contacts:
                contact = Contact(organization=organization, email=email)
                contact.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
            else:
                contact = contact_get_or_create_by_email(organization=organization, email=email)
            self.contacts_by_email[email] = contact
        return self.contacts_by_email[email]

    def rate(self, currency: str, reference_currency: str, on_date: date):
        key = (currency, reference_currency, on_date)
        if key not in self.rates:
            self.rates[key] = rates.conversion_rate(*key)
        return self.rates[key]


def _apply(conversion: Conversion, values: dict, lookups: _Lookups | None = None) -> None:
    """Set fields on a conversion, resolve its contact, and derive everything that follows from them."""
    lookups = lookups or _Lookups()
    organization = conversion.organization
    email = values.pop("email", None)
    contact_given = "contact" in values
    for name, value in values.items():
        setattr(conversion, name, value)
    if email:
        if contact_given and conversion.contact is not None and conversion.contact.email != email:
            raise ValidationError({"email": ["Does not match the e-mail of contact_id."]})
        if not contact_given or conversion.contact is None:
            conversion.contact = lookups.contact(organization, email)
    _check_same_organization(
        organization, contact_id=conversion.contact, campaign_id=conversion.campaign, delivery_id=conversion.delivery
    )
    delivery, campaign = conversion.delivery, conversion.campaign
    if delivery is not None and campaign is not None and delivery.campaign_id not in (None, campaign.pk):
        raise ValidationError({"delivery_id": ["This delivery belongs to another campaign."]})
    if not conversion.currency:
        conversion.currency = organization.reference_currency
    if not conversion.country and conversion.contact is not None:
        conversion.country = conversion.contact.country
    if conversion.converted_at is None:
        conversion.converted_at = timezone.now()
    conversion.converted_date = timezone.localtime(conversion.converted_at, organization.zone).date()
    conversion.reference_currency = organization.reference_currency
    _apply_reference_amounts(conversion, lookups)


def _apply_reference_amounts(conversion: Conversion, lookups: _Lookups | None = None) -> None:
    lookups = lookups or _Lookups()
    rate = lookups.rate(conversion.currency, conversion.reference_currency, conversion.converted_date)
    conversion.reference_rate = None if rate is None else rate.quantize(rates.RATE_QUANTUM)
    conversion.reference_revenue = rates.convert(conversion.revenue, rate)
    conversion.reference_revenue_without_tax = rates.convert(conversion.revenue_without_tax, rate)


def _validate(conversion: Conversion) -> None:
    errors: dict[str, list[str]] = {}
    if conversion.converted_at > timezone.now() + FUTURE_TOLERANCE:
        errors["converted_at"] = ["Must not be more than 5 minutes in the future."]
    if not COUNT_MIN <= conversion.count <= COUNT_MAX:
        errors["count"] = [f"Must be between {COUNT_MIN} and {COUNT_MAX:,}."]
    if not ATTRIBUTION_WINDOW_MIN_DAYS <= conversion.attribution_window <= ATTRIBUTION_WINDOW_MAX_DAYS:
        errors["attribution_window"] = ["Must be between 1 and 90 days."]
    if conversion.revenue_without_tax > conversion.revenue:
        errors["revenue_without_tax"] = ["Must not be greater than revenue."]
    if errors:
        raise ValidationError(errors)
    _validate_metadata(conversion.metadata)
    conversion.full_clean(
        exclude=["organization", "contact", "campaign", "delivery"], validate_unique=False, validate_constraints=False
    )


def _build_new(organization: Organization, values: dict, lookups: _Lookups | None = None) -> Conversion:
    """A new, validated, unsaved conversion with the organization's defaults and every derived field."""
    conversion = Conversion(
        organization=organization,
        attribution_model=organization.default_attribution_model,
        attribution_window=organization.default_attribution_window,
    )
    values = dict(values)
    if values.get("revenue_without_tax") is None:
        values["revenue_without_tax"] = values.get("revenue") or Decimal("0.00")
    _apply(conversion, values, lookups)
    _validate(conversion)
    return conversion


def _find_by_order_id(organization: Organization, order_id: str) -> Conversion | None:
    return Conversion.objects.for_organization(organization).select_related("contact").filter(order_id=order_id).first()


@transaction.atomic
def conversion_create(*, organization: Organization, **fields) -> tuple[Conversion, bool]:
    """Store a conversion, or recognise a repeat of one: returns ``(conversion, created)``.

    A payload whose ``order_id`` already exists is a replay when every field it gives equals the stored row
    (nothing is written, ``created`` is False) and a ``ConflictError`` otherwise. Concurrent identical requests
    race on the database's unique constraint; the losers fall back to the replay path, never to an error.
    """
    values = _normalized(organization, fields)
    order_id = values.get("order_id")
    if order_id:
        existing = _find_by_order_id(organization, order_id)
        if existing is not None:
            return _replay_or_conflict(existing, values)
    conversion = _build_new(organization, values)
    try:
        with transaction.atomic():
            conversion.save()
    except IntegrityError:
        existing = _find_by_order_id(organization, order_id) if order_id else None
        if existing is None:
            raise
        return _replay_or_conflict(existing, values)
    conversion_attribute(conversion=conversion)
    _conversions_touched(organization, [conversion.converted_date])
    return conversion, True


@transaction.atomic
def conversion_update(*, conversion: Conversion, **fields) -> Conversion:
    """Change a conversion; it is re-attributed and its report days invalidated like a new write.

    When ``revenue`` changes and ``revenue_without_tax`` is not given, a ``revenue_without_tax`` that was equal
    to the old revenue (the default) follows the new revenue.
    """
    organization = conversion.organization
    values = _normalized(organization, fields)
    if values.get("order_id") and values["order_id"] != conversion.order_id:
        existing = _find_by_order_id(organization, values["order_id"])
        if existing is not None and existing.pk != conversion.pk:
            raise ConflictError(
                f"A conversion with order_id '{values['order_id']}' already exists.", existing_id=existing.pk
            )
    old_date = conversion.converted_date
    revenue_without_tax_was_default = conversion.revenue_without_tax == conversion.revenue
    if "revenue" in values and "revenue_without_tax" not in values and revenue_without_tax_was_default:
        values["revenue_without_tax"] = values["revenue"]
    if values.get("revenue_without_tax", "") is None:
        values["revenue_without_tax"] = values.get("revenue", conversion.revenue)
    _apply(conversion, values)
    _validate(conversion)
    try:
        with transaction.atomic():
            conversion.save()
    except IntegrityError as error:
        existing = _find_by_order_id(organization, conversion.order_id) if conversion.order_id else None
        if existing is None:
            raise
        raise ConflictError(
            f"A conversion with order_id '{conversion.order_id}' already exists.", existing_id=existing.pk
        ) from error
    conversion_attribute(conversion=conversion)
    _conversions_touched(organization, [old_date, conversion.converted_date])
    return conversion


@transaction.atomic
def conversion_delete(*, conversion: Conversion) -> None:
    """Delete a conversion; its last state stays in the audit history and its report days are invalidated."""
    organization, day = conversion.organization, conversion.converted_date
    conversion.delete()
    _conversions_touched(organization, [day])


BATCH_MAX_ITEMS = 1000


@dataclass
class BatchOutcome:
    """What happened to one batch item: ``created``, ``duplicate`` (an identical replay) or ``error``."""

    status: str
    conversion: Conversion | None = None
    error: Exception | None = None


def _existing_contacts_by_email(organization: Organization, emails: set[str]) -> dict:
    if not emails:
        return {}
    return {
        contact.email: contact for contact in Contact.objects.for_organization(organization).filter(email__in=emails)
    }


def _save_new_contacts(organization: Organization, conversions: list[Conversion]) -> None:
    """Insert the still-unsaved contacts of stored conversions in one statement (race-safe) and link them."""
    new = {c.contact.email: c.contact for c in conversions if c.contact is not None and c.contact._state.adding}
    if not new:
        return
    Contact.objects.bulk_create(list(new.values()), ignore_conflicts=True)
    saved = _existing_contacts_by_email(organization, set(new))
    Contact.history.bulk_history_create(
        [saved[email] for email in new if saved[email].pk == new[email].pk], **history_context()
    )
    for conversion in conversions:
        if conversion.contact is not None and conversion.contact.email in new:
            conversion.contact = saved[conversion.contact.email]


def _attribute_many(conversions: list[Conversion]) -> None:
    """Credit for freshly inserted conversions: one touchpoint query for all of them, one INSERT of the rows."""
    touched = [c for c in conversions if c.contact_id and c.campaign_id is None and c.delivery_id is None]
    touches = (
        _touch_candidates(
            {c.contact_id for c in touched},
            min(_window_start(c) for c in touched),
            max(c.converted_at for c in touched),
        )
        if touched
        else {}
    )
    rows = []
    for conversion in conversions:
        window_start = _window_start(conversion)
        candidates = [
            candidate
            for candidate in touches.get(conversion.contact_id, [])
            if window_start <= candidate.occurred_at <= conversion.converted_at
        ]
        rows.extend(conversion_credit_rows(conversion, candidates))
    Attribution.objects.bulk_create(rows, batch_size=1000)


def _error_outcome(error: Exception) -> BatchOutcome:
    return BatchOutcome("error", error=error)


def conversions_create_batch(*, organization: Organization, items: list[dict]) -> list[BatchOutcome]:
    """Store up to 1000 conversions, each on its own terms, with bulk SQL; one outcome per item, in order.

    The same rules as ``conversion_create`` (it shares its normalisation, construction, validation, replay test
    and attribution), applied to the whole batch at once: one query for existing order ids, one for contacts,
    one INSERT for conversions, history and credit. A bad item becomes an ``error`` outcome and never blocks the
    others; a repeated order id (stored, or earlier in the same batch) is a ``duplicate`` or a conflict error.
    If the bulk INSERT loses a race with a concurrent writer, the batch falls back to one savepoint per item,
    so the answer is still exact.
    """
    if len(items) > BATCH_MAX_ITEMS:
        raise ValidationError({"conversions": [f"At most {BATCH_MAX_ITEMS} items."]})
    outcomes: list[BatchOutcome | None] = [None] * len(items)
    prepared: dict[int, dict] = {}
    for index, fields in enumerate(items):
        try:
            prepared[index] = _normalized(organization, fields)
        except ValidationError as error:
            outcomes[index] = _error_outcome(error)

    order_ids = {values["order_id"] for values in prepared.values() if values.get("order_id")}
    stored_rows = Conversion.objects.for_organization(organization).select_related("contact")
    stored = {c.order_id: c for c in stored_rows.filter(order_id__in=order_ids)} if order_ids else {}
    first_index: dict[str, int] = {}
    repeats: list[int] = []
    to_build: list[int] = []
    for index, values in prepared.items():
        order_id = values.get("order_id")
        if order_id in stored:
            try:
                outcomes[index] = BatchOutcome("duplicate", _replay_or_conflict(stored[order_id], values)[0])
            except ConflictError as error:
                outcomes[index] = _error_outcome(error)
        elif order_id and order_id in first_index:
            repeats.append(index)
        else:
            if order_id:
                first_index[order_id] = index
            to_build.append(index)

    with transaction.atomic():
        emails = {prepared[i]["email"] for i in to_build if prepared[i].get("email") and not prepared[i].get("contact")}
        lookups = _Lookups(_existing_contacts_by_email(organization, emails), defer_new_contacts=True)
        built: dict[int, Conversion] = {}
        for index in to_build:
            try:
                built[index] = _build_new(organization, prepared[index], lookups)
            except ValidationError as error:
                outcomes[index] = _error_outcome(error)
        _save_new_contacts(organization, list(built.values()))
        try:
            with transaction.atomic():
                Conversion.objects.bulk_create(list(built.values()), batch_size=1000)
        except IntegrityError:
            # A concurrent writer took one of these order ids first: decide item by item, exactly.
            for index in list(built):
                try:
                    with transaction.atomic():
                        conversion, created = conversion_create(organization=organization, **items[index])
                    outcomes[index] = BatchOutcome("created" if created else "duplicate", conversion)
                except (ValidationError, ConflictError) as error:
                    outcomes[index] = _error_outcome(error)
                del built[index]
        conversions = list(built.values())
        Conversion.history.bulk_history_create(conversions, **history_context())
        _attribute_many(conversions)
        for index, conversion in built.items():
            outcomes[index] = BatchOutcome("created", conversion)
        if conversions:
            _conversions_touched(organization, {conversion.converted_date for conversion in conversions})

    for index in repeats:
        first = outcomes[first_index[prepared[index]["order_id"]]]
        if first.conversion is None:
            outcomes[index] = first
            continue
        try:
            outcomes[index] = BatchOutcome("duplicate", _replay_or_conflict(first.conversion, prepared[index])[0])
        except ConflictError as error:
            outcomes[index] = _error_outcome(error)
    return outcomes


def _conversions_touched(organization: Organization, days: Iterable[date]) -> None:
    """Tell the reporting rollups which local days of this organization changed."""
    from reporting.services import rollup_mark_dirty

    rollup_mark_dirty(organization_id=organization.pk, days=days)


# --- Attribution ----------------------------------------------------------------------------------------------------


def _touch_candidates(contact_ids, start: datetime, end: datetime) -> dict:
    """Open and click touchpoints of these contacts in ``[start, end]``, as candidates grouped by contact."""
    rows = Touchpoint.objects.filter(
        contact_id__in=contact_ids, kind__in=CANDIDATE_TOUCHPOINT_KINDS, occurred_at__gte=start, occurred_at__lte=end
    ).values_list("pk", "contact_id", "occurred_at", "campaign_id", "delivery_id", "delivery__campaign_id")
    by_contact: dict = {}
    for pk, contact_id, occurred_at, campaign_id, delivery_id, delivery_campaign_id in rows:
        by_contact.setdefault(contact_id, []).append(
            Candidate(occurred_at, str(pk), campaign_id or delivery_campaign_id, delivery_id)
        )
    return by_contact


def _window_start(conversion: Conversion) -> datetime:
    return conversion.converted_at - timedelta(days=conversion.attribution_window)


def _candidates(conversion: Conversion) -> list[Candidate]:
    if conversion.contact_id is None:
        return []
    touches = _touch_candidates([conversion.contact_id], _window_start(conversion), conversion.converted_at)
    return touches.get(conversion.contact_id, [])


def _explicit_credit(conversion: Conversion) -> list[tuple]:
    if conversion.campaign_id is None and conversion.delivery_id is None:
        return []
    campaign_id = conversion.campaign_id or (conversion.delivery.campaign_id if conversion.delivery else None)
    return [(campaign_id, conversion.delivery_id, Decimal(1))]


def conversion_credit_rows(conversion: Conversion, candidates: list[Candidate] | None = None) -> list[Attribution]:
    """The attribution rows a conversion should have now (unsaved): explicit target first, else touchpoints.

    ``candidates`` may be given by a caller that fetched the touchpoints of many conversions in one query.
    """
    credit = _explicit_credit(conversion)
    if not credit:
        if candidates is None:
            candidates = _candidates(conversion)
        chosen = choose_credit(conversion.attribution_model, candidates)
        credit = [(item.campaign_id, item.delivery_id, item.weight) for item in chosen]
    weights = [weight for _, _, weight in credit]
    money = {
        field: split_money(getattr(conversion, field), weights)
        for field in ("revenue", "revenue_without_tax", "reference_revenue", "reference_revenue_without_tax")
    }
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


@transaction.atomic
def conversion_attribute(*, conversion: Conversion) -> list[Attribution]:
    """Replace a conversion's credit with what its data says now. Idempotent."""
    conversion.attributions.all().delete()
    rows = Attribution.objects.bulk_create(conversion_credit_rows(conversion))
    conversion._prefetched_objects_cache = {}
    return rows


@transaction.atomic
def conversions_reattribute(*, conversion_ids: Iterable) -> int:
    """Re-attribute these conversions (those that still exist); returns how many were processed."""
    conversions = Conversion.objects.filter(pk__in=list(conversion_ids)).select_related("organization", "delivery")
    processed = 0
    touched: dict = {}
    for conversion in conversions:
        before = sorted(conversion.attributions.values_list("campaign_id", "delivery_id", "weight"), key=str)
        rows = conversion_attribute(conversion=conversion)
        after = sorted(((row.campaign_id, row.delivery_id, row.weight) for row in rows), key=str)
        if before != after:
            touched.setdefault(conversion.organization, set()).add(conversion.converted_date)
        processed += 1
    for organization, days in touched.items():
        _conversions_touched(organization, days)
    return processed


def conversions_reattribute_contact_window(*, contact_id, start: datetime, end: datetime) -> int:
    """Re-attribute one contact's conversions in ``[start, end]`` (the reach of a changed touchpoint)."""
    ids = Conversion.objects.filter(
        contact_id=contact_id, converted_at__gte=start, converted_at__lte=end, campaign__isnull=True,
        delivery__isnull=True,
    ).values_list("pk", flat=True)  # fmt: skip
    return conversions_reattribute(conversion_ids=list(ids))


# --- Exchange rates -------------------------------------------------------------------------------------------------


def _enqueue_revaluation(currency: str, since: date) -> None:
    from .tasks import revalue_conversions_task

    _after_commit(revalue_conversions_task, currency, since.isoformat())


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
    old = (exchange_rate.currency, exchange_rate.date)
    for name, value in fields.items():
        setattr(exchange_rate, name, value)
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
def exchange_rates_import(*, rows: Iterable[tuple[date, str, Decimal]]) -> dict:
    """Upsert many ECB rates at once (bulk SQL) and enqueue one revaluation per currency from its earliest day."""
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
    ExchangeRate.objects.bulk_create(to_create, batch_size=1000)
    ExchangeRate.objects.bulk_update(to_update, ["rate", "updated_at"], batch_size=1000)
    for currency, since in earliest_change.items():
        _enqueue_revaluation(currency, since)
    return {
        "created": len(to_create),
        "updated": len(to_update),
        "unchanged": len(incoming) - len(to_create) - len(to_update),
    }


def conversions_revalue(*, currency: str, since: date) -> int:
    """Recompute reference amounts (and the credited reference amounts) of conversions a rate change may affect.

    Affected: conversions in or into ``currency`` dated on or after ``since``. Done in chunks, each one
    transaction with bulk updates, and exact Decimal arithmetic on every database. Idempotent.
    """
    affected = (
        Conversion.objects.filter(Q(currency=currency) | Q(reference_currency=currency), converted_date__gte=since)
        .exclude(currency=F("reference_currency"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(affected)
    changed = 0
    chunk_size = settings.REVALUATION_CHUNK_SIZE
    for start in range(0, len(ids), chunk_size):
        changed += _revalue_chunk(ids[start : start + chunk_size])
    return changed


@transaction.atomic
def _revalue_chunk(ids: list) -> int:
    conversions = list(
        Conversion.objects.filter(pk__in=ids).select_related("organization").prefetch_related("attributions")
    )
    rate_cache: dict = {}
    changed_conversions, changed_attributions = [], []
    touched: dict = {}
    for conversion in conversions:
        key = (conversion.currency, conversion.reference_currency, conversion.converted_date)
        if key not in rate_cache:
            rate_cache[key] = rates.conversion_rate(*key)
        before = (conversion.reference_revenue, conversion.reference_revenue_without_tax)
        rate = rate_cache[key]
        conversion.reference_rate = None if rate is None else rate.quantize(rates.RATE_QUANTUM)
        conversion.reference_revenue = rates.convert(conversion.revenue, rate)
        conversion.reference_revenue_without_tax = rates.convert(conversion.revenue_without_tax, rate)
        if before == (conversion.reference_revenue, conversion.reference_revenue_without_tax):
            continue
        changed_conversions.append(conversion)
        touched.setdefault(conversion.organization, set()).add(conversion.converted_date)
        attributions = list(conversion.attributions.all())
        weights = [attribution.weight for attribution in attributions]
        for field in ("reference_revenue", "reference_revenue_without_tax"):
            for attribution, amount in zip(attributions, split_money(getattr(conversion, field), weights), strict=True):
                setattr(attribution, field, amount)
        changed_attributions.extend(attributions)
    Conversion.objects.bulk_update(
        changed_conversions, ["reference_rate", "reference_revenue", "reference_revenue_without_tax"], batch_size=500
    )
    Attribution.objects.bulk_update(
        changed_attributions, ["reference_revenue", "reference_revenue_without_tax"], batch_size=500
    )
    for organization, days in touched.items():
        _conversions_touched(organization, days)
    return len(changed_conversions)
