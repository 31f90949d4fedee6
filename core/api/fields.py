"""Serializer fields: ISO codes (case-normalised, checked against the real lists) and date-times (UTC offsets
PostgreSQL can store)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from rest_framework import serializers

from core.validators import validate_country, validate_currency, validate_language


class _CodeField(serializers.CharField):
    length = 2
    upper = True
    check = staticmethod(validate_country)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.length)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        # Documents the shape in the schema (``pattern``); the code itself is then checked against the ISO list.
        self.validators.append(RegexValidator(f"^[A-Za-z]{{{self.length}}}$", "Not a code of this shape."))

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return value
        value = value.upper() if self.upper else value.lower()
        try:
            self.check(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value


class CountryField(_CodeField):
    """ISO 3166-1 alpha-2, stored upper-case."""


class CurrencyField(_CodeField):
    """ISO 4217, stored upper-case."""

    length = 3
    check = staticmethod(validate_currency)


class LanguageField(_CodeField):
    """ISO 639-1, stored lower-case."""

    upper = False
    check = staticmethod(validate_language)


# --- Date-times --------------------------------------------------------------------------------------------------

# PostgreSQL takes a UTC offset up to ±15:59(:59): one beyond is a DataError there (and silently fine on SQLite), so
# the API refuses it itself, on every date-time it reads, whatever the database.
UTC_OFFSET_LIMIT = timedelta(hours=16)
UTC_OFFSET_MESSAGE = "The UTC offset must be between -15:59 and +15:59."


def check_utc_offset(value: datetime) -> None:
    """Raise Django's ValidationError (code ``offset``) for an aware date-time whose offset PostgreSQL refuses."""
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) >= UTC_OFFSET_LIMIT:
        raise DjangoValidationError(UTC_OFFSET_MESSAGE, code="offset")


class DateTimeField(serializers.DateTimeField):
    """DRF's date-time field, refusing a UTC offset beyond ±15:59 (a 400 on the field) and a value that leaves the
    calendar once converted to UTC. The field every model serializer of the API maps a model date-time to."""

    default_error_messages = {"offset": UTC_OFFSET_MESSAGE}

    def check_offset(self, value: datetime) -> None:
        try:
            check_utc_offset(value)
        except DjangoValidationError:
            self.fail("offset")

    def enforce_timezone(self, value):
        self.check_offset(value)
        return super().enforce_timezone(value)
