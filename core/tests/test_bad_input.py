"""The kernel's answers to bad input and to a database that is down (core/api/): JSON numbers a float cannot hold,
UTC offsets PostgreSQL refuses, and which database errors are a 503 worth retrying rather than a 500.

Over HTTP, on every resource, these are tested in ``tests/test_bad_input.py``.
"""

import io
import sqlite3
from datetime import datetime

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError
from rest_framework.exceptions import ParseError

from core.api.envelope import DATABASE_RETRY_AFTER, database_unavailable, exception_handler
from core.api.fields import DateTimeField, check_utc_offset
from core.api.parsers import JSONParser, finite_float
from core.filtersets import InRangeIsoDateTimeField

# --- JSON numbers -------------------------------------------------------------------------------------------------


def parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


@pytest.mark.parametrize("literal", ["1e-400", "-1e-400", "0.1e-330", "5E-324000", "123.456e-999"])
def test_a_non_zero_number_that_underflows_to_zero_is_refused(literal):
    with pytest.raises(ValueError, match="too small"):
        finite_float(literal)
    with pytest.raises(ParseError, match="too small"):
        parse(f'{{"revenue": {literal}}}')


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1.8e308", "9" * 400 + ".0"])
def test_a_number_that_overflows_a_float_is_refused(literal):
    with pytest.raises(ParseError, match="too large"):
        parse(f'{{"metadata": {{"x": [{literal}]}}}}')


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant):
    with pytest.raises(ParseError, match="not a JSON number"):
        parse(f'{{"revenue": {constant}}}')


def test_a_refused_number_is_echoed_shortened():
    with pytest.raises(ParseError) as error:
        parse('{"x": 1' + "0" * 500 + "e-900}")
    assert len(str(error.value.detail)) < 150


@pytest.mark.parametrize(
    ("literal", "value"),
    [("0.0", 0.0), ("-0.0", 0.0), ("0e-400", 0.0), ("0.000e999", 0.0), ("1e-320", 1e-320), ("1.5", 1.5),
     ("149.99", 149.99), ("1e308", 1e308), ("2.5E+3", 2500.0)],
)  # fmt: skip
def test_other_numbers_are_read_as_floats(literal, value):
    assert finite_float(literal) == value
    assert parse(f'{{"x": {literal}}}') == {"x": value}


def test_integers_and_floats_keep_their_json_types():
    data = parse('{"a": 10, "b": 1.5, "c": -3, "d": 12345678901234567890, "e": [0.25, true, null, "1.5"]}')
    assert data == {"a": 10, "b": 1.5, "c": -3, "d": 12345678901234567890, "e": [0.25, True, None, "1.5"]}
    assert type(data["a"]) is int and type(data["b"]) is float and type(data["d"]) is int


def test_malformed_and_too_deep_json_are_still_parse_errors():
    with pytest.raises(ParseError, match="JSON parse error"):
        parse('{"a": ')
    with pytest.raises(ParseError, match="nested too deeply"):
        parse("[" * 100_000 + "]" * 100_000)


# --- UTC offsets --------------------------------------------------------------------------------------------------

INSIDE = ["2026-01-01T00:00:00+15:59", "2026-01-01T00:00:00-15:59", "2026-01-01T00:00:00+14:00", "2026-01-01T00:00Z"]
OUTSIDE = ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-16:00", "2026-01-01T00:00:00+23:59"]


@pytest.mark.parametrize("value", INSIDE)
def test_an_offset_up_to_15_59_is_accepted_everywhere(value):
    parsed = datetime.fromisoformat(value)
    check_utc_offset(parsed)
    assert DateTimeField().to_internal_value(value) == parsed
    assert InRangeIsoDateTimeField().clean(value) == parsed


@pytest.mark.parametrize("value", OUTSIDE)
def test_an_offset_from_16_00_is_refused_everywhere(value):
    with pytest.raises(ValidationError) as error:
        check_utc_offset(datetime.fromisoformat(value))
    assert error.value.code == "offset"
    with pytest.raises(ValidationError) as error:
        InRangeIsoDateTimeField().clean(value)
    assert error.value.code == "offset"
    from rest_framework.exceptions import ValidationError as DRFValidationError

    with pytest.raises(DRFValidationError) as drf_error:
        DateTimeField().to_internal_value(value)
    assert "between -15:59 and +15:59" in str(drf_error.value.detail[0])


def test_a_naive_date_time_has_no_offset_to_check():
    check_utc_offset(datetime(2026, 1, 1))
    assert DateTimeField().to_internal_value("2026-01-01T00:00:00").tzinfo is not None  # read as UTC


# --- A database that is down --------------------------------------------------------------------------------------


def caused_by(error: DatabaseError, cause: BaseException) -> DatabaseError:
    error.__cause__ = cause  # as Django's wrap_database_errors raises it: ``raise dj_error from driver_error``
    return error


def sqlite_error(name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked" if name == "SQLITE_BUSY" else "no such table: x")
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection refused"),
        InterfaceError("connection already closed"),
        caused_by(OperationalError("x"), psycopg.OperationalError("server closed the connection unexpectedly")),
        caused_by(OperationalError("x"), psycopg.errors.CannotConnectNow("the database system is starting up")),
        caused_by(OperationalError("x"), psycopg.errors.AdminShutdown("terminating connection")),
        caused_by(OperationalError("x"), psycopg.errors.TooManyConnections("too many clients")),
        caused_by(OperationalError("x"), psycopg.errors.ConnectionFailure("connection failure")),
        caused_by(OperationalError("x"), sqlite_error("SQLITE_BUSY")),
    ],
    ids=["bare", "interface", "closed", "starting-up", "admin-shutdown", "too-many", "08xxx", "sqlite-busy"],
)
def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after(error):
    assert database_unavailable(error)
    response = exception_handler(error, {})
    assert response.status_code == 503
    assert response["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert response.data["error"]["type"] == "service_unavailable"
    assert response.data["error"]["fields"] == {}


def test_a_real_sqlite_statement_error_is_not_an_outage():
    try:
        sqlite3.connect(":memory:").execute("select * from nope")
    except sqlite3.OperationalError as driver_error:
        error = caused_by(OperationalError(str(driver_error)), driver_error)
    assert not database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        caused_by(OperationalError("x"), sqlite_error("SQLITE_ERROR")),
        caused_by(OperationalError("x"), psycopg.errors.QueryCanceled("canceling statement due to timeout")),
        IntegrityError("duplicate key"),
        DatabaseError("something else"),
        RuntimeError("boom"),
    ],
    ids=["sqlite-no-such-table", "statement-timeout", "integrity", "database-error", "runtime"],
)
def test_other_errors_stay_a_logged_500(error):
    assert not database_unavailable(error)
    response = exception_handler(error, {})
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert response.data["error"]["type"] == "server_error"
