"""Pieces every write shares: same-organization checks, field validation and save, enqueueing tasks after
commit, and telling the rollups which days changed."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organization
from conversions.models import Touchpoint

DATETIME_OUT_OF_RANGE = "Datetime value out of range."
CANDIDATE_TOUCHPOINT_KINDS = (Touchpoint.Kind.OPEN, Touchpoint.Kind.CLICK)


def _after_commit(task, *args) -> None:
    """Enqueue a Celery task once the current transaction has committed (never for rolled-back work)."""
    transaction.on_commit(lambda: task.delay(*args))


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


def _conversions_touched(organization: Organization, days: Iterable[date]) -> None:
    """Tell the reporting rollups which local days of this organization changed."""
    from reporting.services import rollup_mark_dirty

    rollup_mark_dirty(organization_id=organization.pk, days=days)
