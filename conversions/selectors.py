"""Reads of conversions' apps that more than one interface needs."""

import uuid
from collections.abc import Iterable
from datetime import date

from django.db import models

from .models import Conversion


def rows_by_pk(queryset: models.QuerySet, values: Iterable) -> dict:
    """The rows of ``queryset`` whose primary key is one of ``values``, by key, in one query.

    Values that are not UUIDs are skipped (whoever reads the map reports them as invalid on their own).
    """
    keys = set()
    for value in values:
        try:
            keys.add(uuid.UUID(value))
        except (TypeError, ValueError, AttributeError):
            continue
    return {row.pk: row for row in queryset.filter(pk__in=keys)} if keys else {}


def reattribution_conversions(*, organization, date_from: date, date_to: date) -> models.QuerySet:
    """The conversions a re-attribution job for these local days (inclusive, like the reports) processes: those
    without explicit credit (an explicit campaign or delivery keeps its credit whatever the defaults say)."""
    return Conversion.objects.for_organization(organization).filter(
        converted_date__gte=date_from, converted_date__lte=date_to, campaign__isnull=True, delivery__isnull=True
    )
