"""Writes for contacts. Every caller (API, admin, import, commands) goes through these functions."""

from collections import Counter
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Organization
from core.history import history_context
from core.services import lock_for_update, model_update

from .models import Contact

CONTACT_FIELDS = ("email", "client_contact_id", "first_name", "surname", "country", "language")
CONTACT_WRITABLE_FIELDS = frozenset(CONTACT_FIELDS)
# Rows per lookup query of a bulk create: well under SQLite's bound on query parameters.
CONTACTS_BULK_CHUNK_SIZE = 1000


def normalize_email(email: str | None) -> str | None:
    email = (email or "").strip()
    return email.lower() or None


def _validate_unique(contact: Contact) -> None:
    others = Contact.objects.for_organization(contact.organization).exclude(pk=contact.pk)
    errors = {}
    if contact.email and others.filter(email=contact.email).exists():
        errors["email"] = ["A contact with this e-mail already exists."]
    if contact.client_contact_id and others.filter(client_contact_id=contact.client_contact_id).exists():
        errors["client_contact_id"] = ["A contact with this client_contact_id already exists."]
    if errors:
        raise ValidationError(errors)


def _normalize_and_clean(contact: Contact) -> None:
    """Every value in its stored form, and the field rules (no database access: uniqueness is checked apart)."""
    contact.email = normalize_email(contact.email)
    contact.client_contact_id = (contact.client_contact_id or "").strip() or None
    contact.country = (contact.country or "").upper()
    contact.language = (contact.language or "").lower()
    contact.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)


def _save(contact: Contact) -> Contact:
    _normalize_and_clean(contact)
    _validate_unique(contact)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as error:
        # Lost a race with a concurrent writer of the same e-mail or client id: same answer as the check above.
        _validate_unique(contact)
        raise ValidationError("This contact conflicts with another one.") from error
    return contact


@transaction.atomic
def contact_create(*, organization: Organization, **fields) -> Contact:
    """Create a contact; e-mail is stored lower-case and is unique per organization, as is client_contact_id."""
    return _save(Contact(organization=organization, **fields))


def _chunks(values: list, size: int = CONTACTS_BULK_CHUNK_SIZE):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _validate_unique_bulk(organization: Organization, contacts: list[Contact]) -> None:
    """``_validate_unique`` for many new contacts: against each other, and against the stored ones with one query
    per chunk and field instead of two per contact."""
    errors: dict[str, list[str]] = {}
    for field, message in (
        ("email", "A contact with this e-mail already exists."),
        ("client_contact_id", "A contact with this client_contact_id already exists."),
    ):
        counts = Counter(getattr(contact, field) for contact in contacts if getattr(contact, field))
        taken = {value for value, count in counts.items() if count > 1}
        stored = Contact.objects.for_organization(organization)
        for chunk in _chunks(sorted(counts)):
            taken.update(stored.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
        if taken:
            errors[field] = [f"{message} ({', '.join(sorted(taken)[:5])})"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contacts_bulk_create(*, organization: Organization, contacts: list[dict]) -> list[Contact]:
    """Create many contacts at once (demo data, imports): the same normalisation and rules as ``contact_create``,
    then one INSERT and one history INSERT per chunk instead of a query per check and a save per contact.

    All or nothing: one bad or already-known contact raises ``ValidationError`` (naming the first bad item) and
    nothing is stored. A concurrent creator of the same e-mail or client id makes the INSERT fail the same way.
    """
    rows = [Contact(organization=organization, **fields) for fields in contacts]
    for index, row in enumerate(rows):
        try:
            _normalize_and_clean(row)
        except ValidationError as error:
            raise ValidationError({f"contacts[{index}].{name}": messages for name, messages in error}) from error
    _validate_unique_bulk(organization, rows)
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(rows, batch_size=CONTACTS_BULK_CHUNK_SIZE)
    except IntegrityError as error:
        _validate_unique_bulk(organization, rows)
        raise ValidationError("These contacts conflict with others.") from error
    Contact.history.bulk_history_create(rows, batch_size=CONTACTS_BULK_CHUNK_SIZE, **history_context())
    return rows


@transaction.atomic
def contact_update(*, contact: Contact, **fields) -> Contact:
    contact = lock_for_update(contact)
    model_update(instance=contact, fields=CONTACT_WRITABLE_FIELDS, data=fields)
    return _save(contact)


# What the apps above contacts do, in the same transaction, just before a contact is deleted (they register in
# their AppConfig.ready): the conversions app empties the contact of its conversions with a history row each.
# Contacts cannot import those apps (the layers), so they name their side of a delete here instead.
CONTACT_DELETE_HOOKS: list[Callable[[Contact], None]] = []


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete a contact; its conversions stay (their contact becomes empty) so no revenue leaves the reports."""
    for hook in CONTACT_DELETE_HOOKS:
        hook(contact)
    contact.delete()


def contact_build_for_email(*, organization: Organization, email: str) -> Contact:
    """A new, validated, unsaved contact for an e-mail (for callers that save it later, possibly in bulk)."""
    candidate = Contact(organization=organization, email=normalize_email(email))
    candidate.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    return candidate


def contact_get_or_create_by_email(*, organization: Organization, email: str) -> Contact:
    """Find the contact with this e-mail (case-insensitive) or create it; safe against concurrent creators."""
    email = normalize_email(email)
    contact = Contact.objects.for_organization(organization).filter(email=email).first()
    if contact is not None:
        return contact
    candidate = contact_build_for_email(organization=organization, email=email)
    try:
        with transaction.atomic():
            candidate.save()
        return candidate
    except IntegrityError:
        return Contact.objects.for_organization(organization).get(email=email)
