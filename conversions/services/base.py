"""Pieces every write shares: same-organization checks, field validation and save, enqueueing tasks after
commit, and telling the rollups which days changed."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError

from accounts.models import Organization
from conversions.models import RollupMark, Touchpoint
from core.outbox import follow_up_after_commit

DATETIME_OUT_OF_RANGE = "Datetime value out of range."
CANDIDATE_TOUCHPOINT_KINDS = (Touchpoint.Kind.OPEN, Touchpoint.Kind.CLICK)


def enqueue_after_commit(task, *args) -> None:
    """Run a Celery task once the current transaction has committed (never for rolled-back work), through the
    outbox: recorded with the data, so a broker outage delays it and never loses it."""
    follow_up_after_commit(task, *args)


def check_same_organization(organization: Organization, **related) -> None:
    errors = {
        name: ["Does not exist."]
        for name, obj in related.items()
        if obj is not None and obj.organization_id != organization.pk
    }
    if errors:
        raise ValidationError(errors)


def clean_and_save(instance, **related) -> None:
    check_same_organization(instance.organization, **related)
    instance.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    instance.save()


def conversion_days_mark(organization: Organization, days: Iterable[date]) -> None:
    """Record that these local days of this organization changed, inside the writer's transaction so the marks
    commit with the data. The reporting app reads the marks (dirty days are read from raw rows) and drains them."""
    RollupMark.objects.bulk_create(
        [RollupMark(organization_id=organization.pk, day=day) for day in sorted(set(days)) if day is not None]
    )
