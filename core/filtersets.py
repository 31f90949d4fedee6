"""Filters shared by every app's FilterSets."""

from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from .api.fields import check_utc_offset


class InRangeIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that is still a valid datetime in UTC, where the database compares it: near year 1 or
    year 9999 an offset can push it out of range, which is a 400 instead of an error in the database adapter. Its
    UTC offset must be one PostgreSQL takes (±15:59), on every database."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            check_utc_offset(value)
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValidationError("Datetime value out of range.", code="overflow") from None
        return value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = InRangeIsoDateTimeField


def organization_rows(model):
    """A ``queryset`` callable for ModelChoiceFilter: the rows of the requesting key's organization only.

    Another organization's id or an unknown one is then a 400, so a filter never reveals that an id exists.
    """

    def queryset(request):
        organization = getattr(getattr(request, "user", None), "organization", None)
        if organization is None:  # no request (schema generation, direct FilterSet use): nothing to choose from
            return model.objects.none()
        return model.objects.for_organization(organization)

    return queryset


class UpperCaseFilter(django_filters.CharFilter):
    """An exact match on a code stored upper-case (currency, country), whatever case the caller sends."""

    def filter(self, qs, value):
        return super().filter(qs, value.strip().upper() if value else value)


class LowerCaseFilter(django_filters.CharFilter):
    """An exact match on a value stored lower-case (language, e-mail), whatever case the caller sends."""

    def filter(self, qs, value):
        return super().filter(qs, value.strip().lower() if value else value)


class StrictNullBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``); empty means "no filter". Anything else is an error, where Django's
    field would read it as "no filter" and answer every row. A text input: the select widget would turn an unknown
    value into "no filter" before the field sees it."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, "", True, False, "true", "false", "True", "False", "1", "0"):
            return super().to_python(value)
        raise ValidationError("Must be true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField


class TenantFilterSet(django_filters.FilterSet):
    """The base of every tenant model's FilterSet: every list filters by when its rows were created."""

    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
