"""Reads of conversions' apps that more than one interface needs."""

import uuid
from collections.abc import Iterable

from django.db import models


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
