"""Serializer fields for ISO codes: case-normalised, checked against the real lists."""

from django.core.exceptions import ValidationError as DjangoValidationError
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
