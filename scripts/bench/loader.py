"""The benchmark database: a fresh, separate one per run, bulk-loaded (``COPY`` on PostgreSQL)."""

import os
import sys
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .constants import DEFAULT_DATABASE_URL, ROOT


def prepare_database(args) -> str:
    """A fresh, separate benchmark database; returns its URL."""
    if args.sqlite:
        path = ROOT / "var" / "bench.sqlite3"
        path.parent.mkdir(exist_ok=True)
        if args.reuse and path.exists():
            return f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base = urlsplit(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    if not base.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point at a PostgreSQL server (or pass --sqlite).")
    name = base.path.lstrip("/") + "_bench"
    admin_url = urlunsplit(base._replace(scheme="postgresql"))
    try:
        admin_connection = psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as error:
        sys.exit(f"Cannot reach PostgreSQL at {base.hostname}:{base.port} ({error}); set DATABASE_URL or use --sqlite.")
    with admin_connection as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (args.reuse and exists):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(base._replace(path=f"/{name}"))


class Loader:
    """Bulk inserts: COPY on PostgreSQL, executemany on SQLite (values adapted the way Django stores them).

    On PostgreSQL, ``bulk_load(tables)`` is the usual bulk-load recipe: secondary indexes are dropped during the
    load and built again afterwards in one pass each, commits do not wait for the disk, and (when the role may)
    foreign-key triggers are skipped, since the generator only writes consistent references.
    """

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    @contextmanager
    def bulk_load(self, tables: list[str]):
        from django.db import DatabaseError, transaction

        if not self.postgres:
            yield
            return
        with self.connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
            cursor.execute("SET maintenance_work_mem TO '256MB'")
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role TO replica")
            except DatabaseError:
                pass  # not a superuser: the foreign keys are checked, only slower
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            with self.connection.cursor() as cursor:
                for _, definition in indexes:
                    cursor.execute(definition)
                cursor.execute("SET session_replication_role TO DEFAULT")

    def load(self, model, columns: list[str], rows: list[tuple]) -> None:
        table = model._meta.db_table
        if self.postgres:
            with (
                self.connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        adapted = [tuple(self._sqlite_value(value) for value in row) for row in rows]
        with self.connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", adapted)

    @staticmethod
    def _sqlite_value(value):
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value


def check_columns(model, columns: list[str], omitted: tuple[str, ...] | list[str] = ()) -> None:
    """Every column of the model must be loaded, but those with a database default and the ``omitted`` ones (left
    NULL on purpose). A nullable column is not safe to leave out: NULL may not be what the services store (the
    reference amounts of refunds are 0.00, not NULL, for a conversion with a rate), and the nightly check would
    then repair every generated row."""
    from django.db.models.fields import NOT_PROVIDED

    missing = [
        field.column
        for field in model._meta.concrete_fields
        if field.column not in columns and field.column not in omitted and field.db_default is NOT_PROVIDED
    ]
    if missing:
        sys.exit(f"scripts/bench/dataset.py is out of date with {model.__name__}: it does not load {missing}.")
