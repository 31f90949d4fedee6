"""Filters shared by every app's FilterSets."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class InRangeIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that is still a valid datetime in UTC, where the database compares it: near year 1 or
    year 9999 an offset can push it out of range, which is a 400 instead of an error in the database adapter."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValidationError("Datetime value out of range.", code="overflow") from None
        return value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = InRangeIsoDateTimeField
