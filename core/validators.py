"""Validators for the ISO codes and time zones that every app stores.

The lists come from pycountry (ISO 4217, ISO 3166-1, ISO 639-1) and zoneinfo (IANA), never hand-written.
"""

import zoneinfo
from functools import cache

import pycountry
from django.core.exceptions import ValidationError


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


@cache
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def language_codes() -> frozenset[str]:
    return frozenset(language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2"))


@cache
def timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_currency(value: str) -> None:
    if value not in currency_codes():
        raise ValidationError(f"'{value}' is not an ISO 4217 currency code.", code="invalid_currency")


def validate_country(value: str) -> None:
    if value not in country_codes():
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code.", code="invalid_country")


def validate_language(value: str) -> None:
    if value not in language_codes():
        raise ValidationError(f"'{value}' is not an ISO 639-1 language code.", code="invalid_language")


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(f"'{value}' is not an IANA time zone name.", code="invalid_timezone")
