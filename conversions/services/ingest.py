"""Set-based writes of a batch of new conversions: PostgreSQL ``COPY``, the ORM's bulk statements elsewhere.

Django's ``bulk_create`` spends most of a 1,000-row INSERT compiling it (a ``prepare_value`` per cell, 70k calls),
and simple-history's ``bulk_history_create`` builds 1,000 model instances and compiles another. On PostgreSQL these
functions stream the rows with psycopg's ``COPY`` instead: conversions into a temporary table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id``, so an order id a concurrent writer stored first is
skipped by the unique index (never an error, never a lock held across the batch); history and credit rows straight
into their tables. The rows written are the ones the ORM would write: same columns, same values, same actor.
SQLite (the embedded database) takes the ORM path through the same functions.
"""

from operator import attrgetter

from django.conf import settings
from django.db import connection
from django.db.models import JSONField
from django.utils import timezone
from simple_history.utils import get_change_reason_from_object

from conversions.models import Attribution, Conversion
from core.history import history_context

CONVERSION_STAGING_TABLE = "conversion_ingest"


def _uses_copy() -> bool:
    return connection.vendor == "postgresql"


def _fields_and_columns(model, skip: tuple[str, ...] = ()) -> tuple[list, list[str]]:
    fields = [field for field in model._meta.concrete_fields if field.column not in skip]
    return fields, [connection.ops.quote_name(field.column) for field in fields]


def _row_maker(fields, now):
    """A function from an instance to the values COPY sends for these fields: what ``bulk_create`` would send
    (``auto_now`` times, also set on the instance; JSON adapted as Django adapts it), read by one C-level getter."""
    getter = attrgetter(*(field.attname for field in fields))
    auto_now = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    json_fields = [(index, field) for index, field in enumerate(fields) if isinstance(field, JSONField)]

    def row(obj) -> list:
        for attname in auto_now:
            setattr(obj, attname, now)
        values = list(getter(obj))
        for index, field in json_fields:
            values[index] = field.get_db_prep_save(values[index], connection)
        return values

    return row


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def conversions_insert_new(conversions: list[Conversion]) -> set:
    """Insert these new conversions except those whose order id is already stored (by anyone, committed or
    committing: the unique index decides); returns the ids of the rows inserted."""
    if not conversions:
        return set()
    if not _uses_copy():
        # ON CONFLICT DO NOTHING: an order id a concurrent writer stored first is skipped, not an error that
        # would throw the whole INSERT away. Ids are made here (UUIDs), so one query tells which rows went in.
        Conversion.objects.bulk_create(conversions, batch_size=1000, ignore_conflicts=True)
        ids = [conversion.pk for conversion in conversions]
        return set(Conversion.objects.filter(pk__in=ids).values_list("pk", flat=True))
    fields, columns = _fields_and_columns(Conversion)
    now = timezone.now()
    column_list = ", ".join(columns)
    table = connection.ops.quote_name(Conversion._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(
            f"CREATE TEMPORARY TABLE {CONVERSION_STAGING_TABLE} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        _copy(raw, CONVERSION_STAGING_TABLE, columns, map(_row_maker(fields, now), conversions))
        # Rows go in order-id order, so two batches sharing ids wait for each other in the same order (no deadlock).
        # The conflict target names the partial unique index (conversion_unique_order_id_per_organization).
        raw.execute(
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {CONVERSION_STAGING_TABLE} "
            "ORDER BY order_id ON CONFLICT (organization_id, order_id) WHERE order_id IS NOT NULL DO NOTHING "
            "RETURNING id"
        )
        inserted = {row[0] for row in raw.fetchall()}
        raw.execute(f"DROP TABLE {CONVERSION_STAGING_TABLE}")
    _mark_saved(conversion for conversion in conversions if conversion.pk in inserted)
    return inserted


def _mark_saved(objs) -> None:
    """What ``bulk_create`` does to the instances it stored: they are rows of this database now."""
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def conversions_history_insert(conversions: list[Conversion]) -> None:
    """The '+' history rows of these new conversions, with the actor a single save records (``history_context``)."""
    if not conversions or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    context = history_context()
    if not _uses_copy():
        Conversion.history.bulk_history_create(conversions, **context)
        return
    history_model = Conversion.history.model
    default_user = context["default_user"]
    extra = context["custom_historical_attrs"]
    tracked = [history_model._meta.get_field(field.name) for field in history_model.tracked_fields]
    columns = [
        connection.ops.quote_name(name)
        for name in (
            "history_date", "history_user_id", "history_change_reason", "history_type",
            *(field.column for field in tracked), *(history_model._meta.get_field(name).column for name in extra),
        )
    ]  # fmt: skip
    tracked_values = attrgetter(*(field.attname for field in tracked))
    json_indexes = [4 + index for index, field in enumerate(tracked) if isinstance(field, JSONField)]
    json_field = {index: tracked[index - 4] for index in json_indexes}
    extra_values = list(extra.values())
    now = timezone.now()
    rows = []
    for conversion in conversions:
        user = getattr(conversion, "_history_user", default_user)
        row = [
            getattr(conversion, "_history_date", now),
            user.pk if user is not None else None,
            get_change_reason_from_object(conversion) or "",
            "+",
            *tracked_values(conversion),
            *extra_values,
        ]
        for index in json_indexes:
            row[index] = json_field[index].get_db_prep_save(row[index], connection)
        rows.append(row)
    with connection.cursor() as cursor:
        _copy(cursor.cursor, connection.ops.quote_name(history_model._meta.db_table), columns, rows)


def attributions_insert(rows: list[Attribution]) -> None:
    """Insert new credit rows (ids made in Python, no conflict possible)."""
    if not rows:
        return
    if not _uses_copy():
        Attribution.objects.bulk_create(rows, batch_size=1000)
        return
    fields, columns = _fields_and_columns(Attribution)
    now = timezone.now()
    with connection.cursor() as cursor:
        _copy(
            cursor.cursor,
            connection.ops.quote_name(Attribution._meta.db_table),
            columns,
            map(_row_maker(fields, now), rows),
        )
    _mark_saved(rows)
