"""Writes for conversions: normalisation, validation, deduplication by order id, single and batch creation."""

import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, Organization
from contacts.models import Contact
from contacts.services import contact_build_for_email, contact_get_or_create_by_email, normalize_email
from conversions import rates
from conversions.models import COUNT_MAX, COUNT_MIN, MONEY_MAX, Conversion, Refund
from core.exceptions import ConflictError
from core.history import history_context
from core.services import lock_for_update
from core.validators import model_fields_clean, validate_timezone

from .base import DATETIME_OUT_OF_RANGE, check_same_organization, conversion_days_mark
from .credit import conversion_attribute, conversions_attribute_many
from .events import conversions_event, refunds_event
from .ingest import conversions_history_insert, conversions_insert_new
from .refunds import conversion_refund_remaining, refund_remaining_build

FUTURE_TOLERANCE = timedelta(minutes=5)
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX_LENGTH = 64
METADATA_STRING_MAX_LENGTH = 500

CONVERSION_WRITABLE_FIELDS = frozenset(
    {
        "contact", "email", "type", "status", "count", "revenue", "revenue_without_tax", "payout", "currency",
        "order_id", "campaign", "delivery", "attribution_model", "attribution_window", "origin", "country",
        "coupon_code", "notes", "metadata", "converted_at", "timezone",
    }
)  # fmt: skip


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
        value = value.astimezone(UTC)
        value - timedelta(days=ATTRIBUTION_WINDOW_MAX_DAYS)
        timezone.localtime(value, organization.zone)
    except OverflowError:
        raise ValidationError({"converted_at": [DATETIME_OUT_OF_RANGE]}) from None
    # In UTC: a wall-clock time of a repeated hour (a DST fold) compares unequal to every time of another zone
    # (PEP 495), so a replay of it would be taken for a conflict with the stored (UTC) row.
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
        self.rates = rates.RateLookup()

    def contact(self, organization: Organization, email: str) -> Contact:
        if email not in self.contacts_by_email:
            if self.defer_new_contacts:
                contact = contact_build_for_email(organization=organization, email=email)
            else:
                contact = contact_get_or_create_by_email(organization=organization, email=email)
            self.contacts_by_email[email] = contact
        return self.contacts_by_email[email]


def _apply(conversion: Conversion, values: dict, lookups: _Lookups | None = None) -> None:
    """Set fields on a conversion, resolve its contact, and derive everything that follows from them."""
    lookups = lookups or _Lookups()
    organization = conversion.organization
    email = values.pop("email", None)
    contact_given = "contact" in values
    for name, value in values.items():
        setattr(conversion, name, value)
    if values.get("attribution_window") is not None:
        # Given by the caller: this window replaces the organization's click and open windows for this conversion.
        conversion.attribution_window_explicit = True
    if email:
        if contact_given and conversion.contact is not None and conversion.contact.email != email:
            raise ValidationError({"email": ["Does not match the e-mail of contact_id."]})
        if not contact_given or conversion.contact is None:
            conversion.contact = lookups.contact(organization, email)
    check_same_organization(
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
    rates.apply_reference_amounts(conversion, lookups.rates)


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
    model_fields_clean(conversion, exclude=["organization", "contact", "campaign", "delivery"])


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
    if conversion.status == Conversion.Status.REFUNDED:
        # Created refunded: the ledger gets a refund of all of it (``_opening_refund``), so its sums say so too.
        conversion.refunded_revenue = conversion.revenue
        conversion.refunded_revenue_without_tax = conversion.revenue_without_tax
        conversion.reference_refunded_revenue = conversion.reference_revenue
        conversion.reference_refunded_revenue_without_tax = conversion.reference_revenue_without_tax
    return conversion


def _opening_refund(conversion: Conversion) -> Refund | None:
    """The ledger entry of a conversion created with status ``refunded``: all of its revenue (reason ``other``)."""
    if conversion.status != Conversion.Status.REFUNDED or conversion.revenue <= 0:
        return None
    opened = Conversion(
        organization_id=conversion.organization_id,
        revenue=conversion.revenue,
        revenue_without_tax=conversion.revenue_without_tax,
        converted_at=conversion.converted_at,
    )
    refund = refund_remaining_build(opened)
    refund.conversion = conversion
    return refund


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
    if (refund := _opening_refund(conversion)) is not None:
        refund.save()
    conversion_attribute(conversion=conversion)
    conversion_days_mark(organization, [conversion.converted_date])
    conversions_event(organization=organization, type="conversion.created", conversions=[conversion])
    if refund is not None:
        refunds_event(organization=organization, refunds=[refund])
    return conversion, True


@transaction.atomic
def conversion_update(*, conversion: Conversion, **fields) -> Conversion:
    """Change a conversion; it is re-attributed and its report days invalidated like a new write.

    When ``revenue`` changes and ``revenue_without_tax`` is not given, a ``revenue_without_tax`` that was equal
    to the old revenue (the default) follows the new revenue.
    """
    conversion = lock_for_update(conversion)
    organization = conversion.organization
    values = _normalized(organization, fields)
    if values.get("order_id") and values["order_id"] != conversion.order_id:
        existing = _find_by_order_id(organization, values["order_id"])
        if existing is not None and existing.pk != conversion.pk:
            raise ConflictError(
                f"A conversion with order_id '{values['order_id']}' already exists.", existing_id=existing.pk
            )
    old_date = conversion.converted_date
    had_explicit_target = conversion.campaign_id is not None or conversion.delivery_id is not None
    revenue_without_tax_was_default = conversion.revenue_without_tax == conversion.revenue
    if "revenue" in values and "revenue_without_tax" not in values and revenue_without_tax_was_default:
        values["revenue_without_tax"] = values["revenue"]
    if values.get("revenue_without_tax", "") is None:
        values["revenue_without_tax"] = values.get("revenue", conversion.revenue)
    new_currency = values.get("currency")
    if new_currency and new_currency != conversion.currency and conversion.refunds.exists():
        raise ValidationError({"currency": ["Cannot change: the conversion has refunds in its currency."]})
    _apply(conversion, values)
    _validate(conversion)
    _check_refunds_fit(conversion, status_given="status" in values)
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
    conversion_attribute(conversion=conversion, keep_touch_credit=not had_explicit_target)
    conversion_days_mark(organization, [old_date, conversion.converted_date])
    if conversion.status == Conversion.Status.REFUNDED:
        conversion_refund_remaining(conversion=conversion)  # the ledger records what the status says
    conversions_event(organization=organization, type="conversion.updated", conversions=[conversion])
    return conversion


def _check_refunds_fit(conversion: Conversion, *, status_given: bool) -> None:
    """An updated conversion must still hold its refunds: revenue (and without tax) not below what was refunded,
    its time not after its first refund. Refunds that reach the revenue make it ``refunded``; asking for another
    status then is a 400 (reverse a refund first), so the status never contradicts the ledger."""
    errors = {}
    if conversion.revenue < conversion.refunded_revenue:
        errors["revenue"] = [f"Must not be less than what was refunded: {conversion.refunded_revenue}."]
    if conversion.revenue_without_tax < conversion.refunded_revenue_without_tax:
        errors["revenue_without_tax"] = [
            f"Must not be less than what was refunded without tax: {conversion.refunded_revenue_without_tax}."
        ]
    first_refund = conversion.refunds.order_by("refunded_at").values_list("refunded_at", flat=True).first()
    if first_refund is not None and conversion.converted_at > first_refund:
        errors["converted_at"] = [f"Must not be after the first refund ({first_refund.isoformat()})."]
    if errors:
        raise ValidationError(errors)
    fully_refunded = conversion.revenue > 0 and conversion.refunded_revenue == conversion.revenue
    if fully_refunded and conversion.status != Conversion.Status.REFUNDED:
        if status_given:
            raise ValidationError(
                {"status": ["Its refunds reach its revenue, so it is refunded; reverse a refund to change it."]}
            )
        conversion.status = Conversion.Status.REFUNDED


@transaction.atomic
def conversion_delete(*, conversion: Conversion) -> None:
    """Delete a conversion; its last state stays in the audit history and its report days are invalidated."""
    organization, day = conversion.organization, conversion.converted_date
    conversions_event(organization=organization, type="conversion.deleted", conversions=[conversion])
    conversion.delete()
    conversion_days_mark(organization, [day])


def _conversions_bulk_set(conversions, **values) -> int:
    """Set the same values on many conversions that need nothing recomputed (a status, an emptied reference): one
    locked read, one bulk UPDATE, one bulk INSERT of history rows and one mark per touched day."""
    rows = list(conversions.select_related("organization").select_for_update(of=("self",)).order_by("pk"))
    now = timezone.now()
    for row in rows:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
    Conversion.objects.bulk_update(rows, [*values, "updated_at"], batch_size=1000)
    Conversion.history.bulk_history_create(rows, update=True, **history_context())
    days: dict = {}
    for row in rows:
        days.setdefault(row.organization, set()).add(row.converted_date)
    for organization, touched in days.items():
        conversion_days_mark(organization, touched)
        conversions_event(
            organization=organization,
            type="conversion.updated",
            conversions=[row for row in rows if row.organization == organization],
        )
    return len(rows)


@transaction.atomic
def conversions_set_status(*, conversions, status: str) -> int:
    """Give many conversions one status (the admin's approve / reject / refund): returns how many changed.

    A status is a report dimension only (credit does not depend on it), so this is one locked read, one bulk
    UPDATE, one bulk INSERT of history rows and one mark per touched day, instead of a full update per row.
    """
    if status not in Conversion.Status.values:
        raise ValidationError({"status": [f"Not one of {', '.join(Conversion.Status.values)}."]})
    conversions = conversions.exclude(status=status)
    if status == Conversion.Status.REFUNDED:
        # Each one records a refund of what remains in its ledger, under its row lock (one by one).
        rows = list(conversions.select_related("organization").select_for_update(of=("self",)).order_by("pk"))
        for conversion in rows:
            conversion.status = status
            if conversion_refund_remaining(conversion=conversion) is None:
                conversion.save()
                conversion_days_mark(conversion.organization, [conversion.converted_date])
        return len(rows)
    fully_refunded = conversions.filter(revenue__gt=0, refunded_revenue=F("revenue"))
    if fully_refunded.exists():
        raise ValidationError(
            {"status": [f"{fully_refunded.count()} of them are fully refunded; reverse a refund to change it."]}
        )
    return _conversions_bulk_set(conversions, status=status)


@transaction.atomic
def conversions_reference_removed(*, conversions, field: str) -> int:
    """Empty ``field`` (contact, campaign, delivery) of these conversions because the row it names is being
    deleted: locked, one bulk UPDATE, one history row each (a delete's side effects are in the history too), and
    their days marked (a contact leaving changes the distinct-contact figures). Credit is left as it is: a
    conversion without a contact keeps the touchpoint credit it had (see ``conversion_credit_rows``)."""
    return _conversions_bulk_set(conversions, **{field: None})


def conversions_contact_removed(contact) -> int:
    """``contacts.services.contact_delete``'s hook: the contact's conversions lose it, with history."""
    return conversions_reference_removed(conversions=Conversion.objects.filter(contact=contact), field="contact")


BATCH_MAX_ITEMS = 1000


BATCH_STATUSES = {"created": "created", "duplicate": "duplicates", "error": "errors"}


def batch_summary(statuses: Iterable[str]) -> dict[str, int]:
    """How many items of a batch were created, recognised as duplicates, or refused."""
    counts = Counter(statuses)
    return {name: counts[status] for status, name in BATCH_STATUSES.items()}


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
    # In e-mail order: two batches that share new e-mails wait for each other in the same order (no deadlock).
    Contact.objects.bulk_create([new[email] for email in sorted(new)], ignore_conflicts=True)
    saved = _existing_contacts_by_email(organization, set(new))
    Contact.history.bulk_history_create(
        [saved[email] for email in new if saved[email].pk == new[email].pk], **history_context()
    )
    for conversion in conversions:
        if conversion.contact is not None and conversion.contact.email in new:
            conversion.contact = saved[conversion.contact.email]


def _error_outcome(error: Exception) -> BatchOutcome:
    return BatchOutcome("error", error=error)


def _rate_keys(organization: Organization, payloads: list[dict]) -> list[tuple]:
    """The (currency, local day) pairs whose rates these payloads will need (a guess is harmless: a pair not
    prefetched is looked up when it is needed)."""
    keys = []
    now = timezone.now()
    for values in payloads:
        converted_at = values.get("converted_at") or now
        day = timezone.localtime(converted_at, organization.zone).date()
        keys.append((values.get("currency") or organization.reference_currency, day))
        keys.append((organization.reference_currency, day))
    return keys


def conversions_create_batch(*, organization: Organization, items: list[dict]) -> list[BatchOutcome]:
    """Store up to 1000 conversions, each on its own terms, with bulk SQL; one outcome per item, in order.

    The same rules as ``conversion_create`` (it shares its normalisation, construction, validation, replay test
    and attribution), applied to the whole batch at once: one query each for existing order ids, contacts, rates
    and touchpoints, and one set-based write each for conversions, history and credit (``COPY`` on PostgreSQL,
    see ``ingest``). A bad item becomes an ``error`` outcome and never blocks the others; a repeated order id
    (stored, or earlier in the same batch) is a ``duplicate`` or a conflict error. Items whose order id a
    concurrent writer stored first are skipped by the INSERT (``ON CONFLICT DO NOTHING``) and then decided against
    the stored row, so concurrent batches that share order ids do not serialize each other and every answer is
    still exact.
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
        lookups.rates.prefetch(_rate_keys(organization, [prepared[index] for index in to_build]))
        built: dict[int, Conversion] = {}
        for index in to_build:
            try:
                built[index] = _build_new(organization, prepared[index], lookups)
            except ValidationError as error:
                outcomes[index] = _error_outcome(error)
        _save_new_contacts(organization, list(built.values()))
        inserted = conversions_insert_new(list(built.values()))
        lost = [index for index, conversion in built.items() if conversion.pk not in inserted]
        if lost:
            # Only the items whose order id a concurrent writer stored first: decided against the row that won
            # (replay or conflict), read in one query; one that is gone again goes through the single path.
            winners = {
                conversion.order_id: conversion
                for conversion in stored_rows.filter(order_id__in={prepared[index]["order_id"] for index in lost})
            }
            for index in lost:
                del built[index]
                try:
                    winner = winners.get(prepared[index]["order_id"])
                    if winner is not None:
                        outcomes[index] = BatchOutcome("duplicate", _replay_or_conflict(winner, prepared[index])[0])
                        continue
                    with transaction.atomic():
                        conversion, created = conversion_create(organization=organization, **items[index])
                    outcomes[index] = BatchOutcome("created" if created else "duplicate", conversion)
                except (ValidationError, ConflictError) as error:
                    outcomes[index] = _error_outcome(error)
        conversions = list(built.values())
        conversions_history_insert(conversions)
        opening_refunds = [refund for c in conversions if (refund := _opening_refund(c)) is not None]
        if opening_refunds:
            Refund.objects.bulk_create(opening_refunds)
            Refund.history.bulk_history_create(opening_refunds, **history_context())
        conversions_attribute_many(conversions)
        for index, conversion in built.items():
            outcomes[index] = BatchOutcome("created", conversion)
        if conversions:
            conversion_days_mark(organization, {conversion.converted_date for conversion in conversions})
            conversions_event(organization=organization, type="conversion.created", conversions=conversions)

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
