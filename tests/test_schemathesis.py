"""Schemathesis over the whole served schema (/api/v1/ and /reporting/v1/): every operation, every built-in check.

The schema is loaded from the app as clients get it (``GET /api/v1/schema/``, through WSGI, no server) and every
operation is called with generated requests, valid and invalid, with a read-write API key of a fresh organization.
The checks: no 5xx (``not_a_server_error``), status codes, content types, headers and bodies as the schema says,
invalid requests refused, valid ones accepted, undeclared methods a 405, requests without the key a 401, …

Two checks are narrowed, each by what an OpenAPI schema cannot say (and only by that):

- A valid request may still be a 400 when it names an object that does not exist for this key, a code that has
  the shape but is not on the ISO list, a value another row already has, or breaks a rule between fields
  (``revenue_without_tax`` ≤ ``revenue``, ``dateFrom`` ≤ ``dateTo``, …): ``REFUSALS_THE_SCHEMA_CANNOT_STATE``
  lists each, field and message; any other 400 to a valid request still fails.
- The batch answers 200 to any well-formed ``{"conversions": [...]}`` and refuses a bad item in that item's
  result (docs/api.md, "Batch endpoint"): an invalid item is rejected when its result is an error.

Bounded: 25 examples per operation, derandomized (the same requests on every run): 1.5-2 minutes on SQLite,
about 3 on PostgreSQL. That would double ``make test``, so it runs only with ``SCHEMATHESIS=1``: .ci/run runs it as
its own step on PostgreSQL, after the suite. Locally: ``SCHEMATHESIS=1 .venv/bin/python -m pytest -q
tests/test_schemathesis.py``.
"""

import re

import pytest
import schemathesis  # noqa: E402 - only when it runs
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi import checks as builtin  # noqa: E402

from config.wsgi import application  # noqa: E402

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

BATCH = "POST /api/v1/conversions/batch/"

# (field name, message): a 400 a schema-valid request may get. Each is a rule on data or between fields.
REFUSALS_THE_SCHEMA_CANNOT_STATE = [
    # References to rows that do not exist for this key (body fields, filters, reporting parameters).
    (r".*_id|campaignId|deliveryId", r"object does not exist|Select a valid choice|There is no such|Invalid pk"),
    # Codes of the right shape that are not on the ISO / IANA lists.
    (r"country|currency|language", r"is not an ISO"),
    (r"timezone", r"is not an IANA time zone"),
    # Uniqueness within the organization.
    (r"email|client_contact_id", r"already exists"),
    # Amounts: a JSON number cannot say "at most 2 decimal places" exactly (multipleOf 0.01 fails on floats).
    (
        r"revenue|revenue_without_tax|payout|amount|amount_without_tax",
        r"no more than \d+ (decimal places|digits in total)",
    ),
    # A webhook endpoint subscribes to at least one event type.
    (r"events", r"^This list may not be empty\.$"),
    # A webhook URL is https with a host (http only for hosts the operator allows): more than "format: uri".
    (r"url", r"^Must be an https:// URL with a host\.$|allowed|address"),
    # A UTC offset beyond ±15:59 is RFC 3339 but not PostgreSQL (docs/api.md, "Dates, times and time zones").
    (r".*", r"^The UTC offset must be between -15:59 and \+15:59\.$"),
    # Rules between fields and against the clock.
    (r"dateFrom", r"^Must not be after dateTo\.$"),
    (r"revenue_without_tax", r"^Must not be greater than revenue\.$"),
    # Everflow's adapter (/compat/everflow/): its date is read in timezone_id and only when is_now is false, its
    # amounts only when their is_*_submitted flag is true, and per-conversion amounts × count stay within our limit.
    (
        r"date",
        r"^Required when is_now is false\.$|^Not a valid date and time\.|^Must not be more than 5 minutes"
        r" in the future\.$|^Datetime value out of range\.$",
    ),
    (r"payout_amount|revenue_amount", r"^Required when is_\w+_submitted is true\.$"),
    (r"sale_amount|payout_amount", r"^Must be ≤ \d+\.\d\d\.$"),
    (r"sale_amount|payout_amount|revenue_amount", r"no more than \d+ (decimal places|digits in total)"),
]


def tolerated_refusal(response) -> bool:
    try:
        fields = response.json()["error"]["fields"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(fields) and all(
        any(re.fullmatch(name_rule, name) and re.search(message_rule, message) for name_rule, message_rule in
            REFUSALS_THE_SCHEMA_CANNOT_STATE)
        for name, messages in fields.items()
        for message in messages
    )  # fmt: skip


def positive_data_acceptance(ctx, response, case):
    """The built-in check, but for a 400 that only states rules a schema cannot express."""
    if response.status_code == 400 and tolerated_refusal(response):
        return None
    return builtin.positive_data_acceptance(ctx, response, case)


def batch_refused_an_item(response) -> bool:
    try:
        return response.json()["summary"]["errors"] > 0
    except (ValueError, KeyError, TypeError):
        return False


def negative_data_rejection(ctx, response, case):
    """The built-in check; the batch refuses a bad item in that item's result rather than with a 400."""
    if case.operation.label == BATCH and response.status_code == 200 and batch_refused_an_item(response):
        return None
    return builtin.negative_data_rejection(ctx, response, case)


@pytest.fixture(autouse=True)
def _one_connection_for_the_test_and_the_app(db):
    """The app runs in this process on the test's connection: like Django's test client, do not let a request's
    start or end close it (it holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case, api_key_secret):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key_secret}"},
        excluded_checks=[builtin.positive_data_acceptance, builtin.negative_data_rejection],
        additional_checks=[positive_data_acceptance, negative_data_rejection],
    )
