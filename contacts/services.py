"""Writes for contacts. Every caller (API, admin, import, commands) goes through these functions."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Organization
from core.services import lock_for_update, model_update

from .models import Contact

CONTACT_FIELDS = ("email", "client_contact_id", "first_name", "surname", "country", "language")
CONTACT_WRITABLE_FIELDS = frozenset(CONTACT_FIELDS)


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


def _save(contact: Contact) -> Contact:
    contact.email = normalize_email(contact.email)
    contact.client_contact_id = (contact.client_contact_id or "").strip() or None
    contact.country = (contact.country or "").upper()
    contact.language = (contact.language or "").lower()
    contact.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
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
