"""The API's envelope: one exception handler for every error and one pagination class for every list.

Errors: ``{"error": {"type", "message", "fields"}}``. Lists: ``{"data": [...], "pagination": {...}}``.
"""

import logging
import math

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.exceptions import ConflictError

logger = logging.getLogger(__name__)

LIMIT_DEFAULT = 100
LIMIT_MAX = 1000

ERROR_TYPES = {
    400: "validation_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found",
    405: "validation_error",
    406: "validation_error",
    409: "conflict",
    413: "validation_error",
    415: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}
# Seconds a client should wait before retrying when the database is unreachable (a restart takes a few seconds).
DATABASE_RETRY_AFTER = 5
# PostgreSQL error classes that mean "the server cannot serve now", not "this statement is wrong": connection
# exceptions (08), insufficient resources such as too many connections (53), operator intervention such as an
# administrator shutdown or "the database system is starting up / shutting down" (57P).
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P")
# SQLite's counterparts: the file is locked by another writer, or cannot be opened.
UNAVAILABLE_SQLITE_ERRORS = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN"})


def error_body(status_code: int, message: str, fields: dict | None = None, **extra) -> dict:
    error = {"type": ERROR_TYPES.get(status_code, "server_error"), "message": message, "fields": fields or {}}
    error.update(extra)
    return {"error": error}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [message for item in detail for message in _flatten(item)]
    return [str(detail)]


def _fields(detail) -> dict:
    """DRF/Django error details as ``{field: [messages]}``; nested errors are flattened into their messages."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return {}


def _django_validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if key == "__all__" else key): value for key, value in error.message_dict.items()}
    return {"non_field_errors": error.messages}


def validation_error_body(detail) -> dict:
    """The 400 envelope for a DRF or Django validation error (also one batch item's ``error``)."""
    if isinstance(detail, DjangoValidationError):
        detail = exceptions.ValidationError(_django_validation_detail(detail)).detail
    if isinstance(detail, dict):
        return error_body(400, "The request is invalid: " + "; ".join(_flatten(detail)), _fields(detail))
    return error_body(400, "; ".join(_flatten(detail)), {"non_field_errors": _flatten(detail)})


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot be reached now (a 503 worth retrying) rather than a bug.

    Django raises ``InterfaceError``/``OperationalError`` for a refused connection, a server that closed it (a
    restart) or one that is starting up or shutting down. A driver error whose code says otherwise (SQLite's
    ``no such table``, a PostgreSQL statement error) stays a 500.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)  # psycopg; None for a connection that failed or was lost
    if sqlstate:
        return sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    sqlite_error = getattr(cause, "sqlite_errorname", None)
    if sqlite_error:
        return sqlite_error in UNAVAILABLE_SQLITE_ERRORS
    return True


def exception_handler(exc, context):
    """Map every exception raised in an API view to the error envelope (unknown ones to a logged 500)."""
    headers = {}
    if database_unavailable(exc):
        logger.warning("Database unavailable: %s", exc)
        set_rollback()
        return Response(
            error_body(503, "The service is temporarily unavailable (the database cannot be reached); retry later."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, SuspiciousOperation):
        # E.g. more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django's own answer is a 400 too.
        return Response(error_body(400, str(exc)), status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, ConflictError):
        set_rollback()
        body = error_body(409, exc.message, existing_id=str(exc.existing_id) if exc.existing_id else None)
        return Response(body, status=status.HTTP_409_CONFLICT)

    if isinstance(exc, exceptions.APIException):
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            # Whole seconds, rounded up (DRF's Throttled has rounded up already; the throttles' waits are exact).
            headers["Retry-After"] = str(math.ceil(exc.wait))
        set_rollback()
        if isinstance(exc, exceptions.ValidationError):
            body = validation_error_body(exc.detail)
        else:
            body = error_body(exc.status_code, "; ".join(_flatten(exc.detail)))
        return Response(body, status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in API view", exc_info=exc)
    set_rollback()
    return Response(
        error_body(500, "An unexpected error occurred; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def parse_bounded_int(request, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: ["A whole number is required."]}) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise exceptions.ValidationError({name: [f"Must be {bound}."]})
    return value


class EnvelopePagination(BasePagination):
    """``limit`` (1..1000, default 100) and ``offset`` (≥ 0) with the total in ``pagination``."""

    def paginate_queryset(self, queryset, request, view=None):
        self.limit = parse_bounded_int(request, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
        self.offset = parse_bounded_int(request, "offset", 0, 0)
        self.total = queryset.count()
        if self.offset >= self.total:
            return []  # past the end: no query, whatever the offset (also one no database integer holds)
        return list(queryset[self.offset : self.offset + self.limit])

    def get_paginated_response(self, data):
        return Response(
            {
                "data": data,
                "pagination": {
                    "total": self.total,
                    "limit": self.limit,
                    "offset": self.offset,
                    "has_more": self.offset + len(data) < self.total,
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "limit": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX},
                        "offset": {"type": "integer", "minimum": 0},
                        "has_more": {"type": "boolean"},
                    },
                },
                "facets": {
                    "type": "object",
                    "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "description": "Present when ?facets= is given: counts per value over the whole filtered set.",
                },
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
            },
            {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
        ]
