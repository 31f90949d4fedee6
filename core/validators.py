"""Validators for the ISO codes and time zones that every app stores.

The lists come from pycountry (ISO 4217, ISO 3166-1, ISO 639-1) and zoneinfo (IANA), never hand-written.
"""

import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.db.models.expressions import DatabaseDefault


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


_ALREADY_PYTHON = {
    "CharField": str, "TextField": str, "DecimalField": Decimal, "DateTimeField": datetime, "DateField": date,
    "BooleanField": bool, "PositiveIntegerField": int, "PositiveSmallIntegerField": int, "IntegerField": int,
    "UUIDField": uuid.UUID, "JSONField": object,
}  # fmt: skip


def _is_empty(value, empty_values) -> bool:
    """``value in empty_values`` without comparing a Decimal to ``[]``, ``()`` and ``{}`` (each comparison goes
    through the ``numbers`` ABCs: a third of the time of a batch's checks). Empty values are None or empty
    containers/strings."""
    if value is None:
        return None in empty_values
    return isinstance(value, str | list | tuple | dict) and not value and value in empty_values


def _is_python_value(value, python_type) -> bool:
    """Whether ``to_python`` would return this value unchanged (a bool is not an int, a datetime not a date)."""
    if python_type is None or (python_type is int and isinstance(value, bool)):
        return False
    if python_type is date:
        return type(value) is date
    return isinstance(value, python_type)


@cache
def _field_plans(model, exclude: frozenset[str]) -> tuple:
    """Per field of ``model`` checked by ``model_fields_clean``: the field, its Python type, whether its ``validate``
    can say anything about a non-empty value (choices, or a subclass's own checks such as JSONField's), and its
    validators."""
    plans = []
    for field in model._meta.fields:
        if field.name in exclude or field.generated:
            continue
        python_type = _ALREADY_PYTHON.get(field.get_internal_type())
        own_validate = type(field).validate is not Field.validate
        validate_always = own_validate or (field.editable and field.choices is not None)
        plans.append((field, field.attname, python_type, validate_always, tuple(field.validators)))
    return tuple(plans)


def model_fields_clean(instance, *, exclude: Iterable[str] = ()) -> None:
    """``Model.clean_fields`` (``full_clean`` without uniqueness or constraints) with Django's own rules and messages:
    each field's ``to_python`` (only for a value not already of the field's Python type), its ``validate`` (choices,
    null, blank) and its validators (lengths, digits, ranges, ISO codes). The same function checks a single write and
    a batch of 1,000, so the rules live once; it skips the conversions a service has already made and the calls
    that cannot fail (``validate`` of a non-empty value without choices), the bulk of ``full_clean``'s time, never
    a rule. A failing field is checked again by Django's own ``validate`` and ``run_validators``, for its messages."""
    errors = {}
    for field, attname, python_type, validate_always, validators in _field_plans(type(instance), frozenset(exclude)):
        raw_value = getattr(instance, attname)
        if _is_empty(raw_value, field.empty_values):
            if field.blank:
                continue
            try:
                setattr(instance, attname, field.clean(raw_value, instance))  # null or blank where not allowed
            except ValidationError as error:
                errors[field.name] = error.error_list
            continue
        if isinstance(raw_value, DatabaseDefault):
            continue
        try:
            value = raw_value if _is_python_value(raw_value, python_type) else field.to_python(raw_value)
            empty = _is_empty(value, field.empty_values)
            if validate_always or empty:
                field.validate(value, instance)
            if not empty:
                try:
                    for validator in validators:
                        validator(value)
                except ValidationError:
                    field.run_validators(value)  # every validator's message, as Django words them
        except ValidationError as error:
            errors[field.name] = error.error_list
            continue
        if value is not raw_value:
            setattr(instance, attname, value)
    if errors:
        raise ValidationError(errors)
