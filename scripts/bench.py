#!/usr/bin/env python
"""``make bench``: load a realistic dataset into a separate benchmark database and time the reporting paths.

    .venv/bin/python scripts/bench.py [--conversions 1000000] [--sqlite] [--explain]

PostgreSQL by default: the server of ``DATABASE_URL`` (default ``postgres://app:app@127.0.0.1:5432/app``), in a
database of its own named ``<name>_bench`` that is dropped and recreated on every run (never the application's
database). ``--sqlite`` uses ``var/bench.sqlite3`` instead. The dataset (one organization ``bench``, Europe/Prague,
reference currency CZK): 2 years of conversions in 6 currencies with daily exchange rates, 100k contacts (one per
ten conversions), campaigns and deliveries, attribution credit (35 % one delivery, 5 % split over two) and
touchpoints, generated in Python and loaded with bulk SQL (``COPY`` on PostgreSQL, ``executemany`` on SQLite).

Then it prints one table: our figure (the reporting v1 API in-process, or the service), the figure of a bare,
hand-written SQL query computing the same answer in the same run (each answer is checked to be equal), and their
ratio. Timings are medians of several runs after a warm-up. Not a test: CI does not run it.
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://app:app@127.0.0.1:5432/app"
ZONE_NAME = "Europe/Prague"
ZONE = ZoneInfo(ZONE_NAME)
REFERENCE_CURRENCY = "CZK"
HISTORY_DAYS = 730
# currency: (share of conversions, usual country, units per EUR, decimals of typical prices)
CURRENCIES = {
    "CZK": (0.60, "CZ", 25.0, 0),
    "EUR": (0.26, "SK", 1.0, 2),
    "HUF": (0.07, "HU", 395.0, 0),
    "RON": (0.06, "RO", 4.97, 2),
    "PLN": (0.0075, "PL", 4.30, 2),
    "CHF": (0.0025, "CH", 0.95, 2),
}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 8, 8, 8, 8, 9, 10, 11, 11, 9, 6, 3]
TYPES = (["purchase"] * 85) + (["signup"] * 8) + (["upgrade"] * 5) + (["custom"] * 2)
STATUSES = (["approved"] * 88) + (["pending"] * 5) + (["refunded"] * 4) + (["rejected"] * 3)
FIRST_NAMES = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "John", "Anna", "Marek", "Zoltán", "Ola", "Ioana", "Luca"]
SURNAMES = ["Nováková", "Svoboda", "Smith", "Kowalska", "Horváth", "Dvořák", "Popescu", "Brown", "Müller"]
CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("1e-12")
CHUNK_ROWS = 50_000
INGEST_ITEMS = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversions", type=int, default=1_000_000, help="Conversions to load (default 1M).")
    parser.add_argument("--sqlite", action="store_true", help="Benchmark SQLite (var/bench.sqlite3) instead.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per query figure (median; default 5).")
    parser.add_argument("--explain", action="store_true", help="Print EXPLAIN ANALYZE of our report queries.")
    parser.add_argument("--seed", type=int, default=7, help="Random seed.")
    parser.add_argument(
        "--reuse", action="store_true", help="Reuse the benchmark database of the previous run (skip the load)."
    )
    return parser.parse_args()


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


# --- Data -------------------------------------------------------------------------------------------------------


def daily_rates(first: date, last: date, rng: random.Random) -> dict[tuple[str, date], Decimal]:
    """Units per EUR for every day (ECB style, but every day so 'latest on or before' is that day's)."""
    rates = {}
    for currency, (_, _, base, _) in CURRENCIES.items():
        if currency == "EUR":
            continue
        level = base
        day = first
        while day <= last:
            level *= 1 + rng.uniform(-0.003, 0.003)
            rates[(currency, day)] = Decimal(str(round(level, 4)))
            day += timedelta(days=1)
    return rates


def to_reference(currency: str, day: date, rates) -> Decimal:
    """Reference (CZK) units per unit of ``currency`` on ``day``, exactly as ``conversions.rates`` computes it."""
    if currency == REFERENCE_CURRENCY:
        return Decimal(1)
    from_rate = Decimal(1) if currency == "EUR" else rates[(currency, day)]
    return rates[(REFERENCE_CURRENCY, day)] / from_rate


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


def check_columns(model, columns: list[str]) -> None:
    """Every NOT NULL column of the model must be loaded (Django's defaults are Python-side, not in the table)."""
    missing = [
        field.column
        for field in model._meta.concrete_fields
        if field.column not in columns and not field.null and field.db_default is field.NOT_PROVIDED
    ]
    if missing:
        sys.exit(f"bench.py is out of date with {model.__name__}: it does not load {missing}.")


def generate(args, bar):
    from django.db import connection, transaction

    from accounts.services import organization_create
    from contacts.models import Contact
    from conversions.models import Attribution, Conversion, ExchangeRate, Touchpoint
    from conversions.services import campaign_create, delivery_create

    rng = random.Random(args.seed)
    loader = Loader(connection)
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    first_day = today - timedelta(days=HISTORY_DAYS - 1)

    organization = organization_create(
        slug="bench", name="Benchmark", reference_currency=REFERENCE_CURRENCY, timezone_name=ZONE_NAME
    )
    campaigns = [campaign_create(organization=organization, name=f"Campaign {index}") for index in range(20)]
    deliveries = [
        delivery_create(organization=organization, name=f"{campaign.name} / send {send}", campaign=campaign)
        for campaign in campaigns
        for send in range(3)
    ] + [delivery_create(organization=organization, name=f"Smartflow {index}") for index in range(10)]

    rates = daily_rates(first_day - timedelta(days=7), today, rng)
    ExchangeRate.objects.bulk_create(
        [ExchangeRate(currency=currency, date=day, rate=rate) for (currency, day), rate in rates.items()],
        batch_size=5000,
    )

    created = now
    contact_count = max(1000, args.conversions // 10)
    contact_columns = [
        "id", "organization_id", "created_at", "updated_at", "email", "client_contact_id", "first_name", "surname",
        "country", "language",
    ]  # fmt: skip
    check_columns(Contact, contact_columns)
    currency_names = list(CURRENCIES)
    currency_shares = [CURRENCIES[name][0] for name in currency_names]
    contacts = []
    rows = []
    for index in range(contact_count):
        contact_id = uuid.uuid4()
        currency = rng.choices(currency_names, currency_shares)[0]
        country = CURRENCIES[currency][1]
        contacts.append((contact_id, currency, country))
        rows.append(
            (
                contact_id, organization.pk, created, created, f"customer{index}@bench.example", str(100000 + index),
                rng.choice(FIRST_NAMES), rng.choice(SURNAMES), country, "cs",
            )
        )  # fmt: skip
    tables = [model._meta.db_table for model in (Contact, Conversion, Attribution, Touchpoint)]
    with loader.bulk_load(tables):
        with transaction.atomic():
            loader.load(Contact, contact_columns, rows)
        load_conversions(args, rng, loader, organization, today, contacts, deliveries, rates, bar)
        bar.set_description("building indexes, VACUUM ANALYZE")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return organization, deliveries, contacts


def load_conversions(args, rng, loader, organization, today, contacts, deliveries, rates, bar) -> None:
    """Conversions over the last two years with their credit and touchpoints, in chunks of 50k."""
    from django.db import transaction

    from conversions.models import Attribution, Conversion, Touchpoint

    conversion_columns = [
        "id", "organization_id", "created_at", "updated_at", "contact_id", "type", "status", "count", "revenue",
        "revenue_without_tax", "payout", "currency", "reference_currency", "reference_revenue",
        "reference_revenue_without_tax", "reference_rate", "order_id", "campaign_id", "delivery_id",
        "attribution_model", "attribution_window", "origin", "country", "coupon_code", "notes", "metadata",
        "converted_at", "converted_date",
    ]  # fmt: skip
    attribution_columns = [
        "id", "organization_id", "created_at", "updated_at", "conversion_id", "campaign_id", "delivery_id", "weight",
        "revenue", "revenue_without_tax", "reference_revenue", "reference_revenue_without_tax",
    ]  # fmt: skip
    touchpoint_columns = [
        "id", "organization_id", "created_at", "updated_at", "contact_id", "campaign_id", "delivery_id", "kind",
        "occurred_at",
    ]  # fmt: skip
    for model, columns in ((Conversion, conversion_columns), (Attribution, attribution_columns)):
        check_columns(model, columns)
    check_columns(Touchpoint, touchpoint_columns)

    hours = list(range(24))
    now = datetime.now(UTC)
    one_minute_ago = now - timedelta(minutes=1)
    currency_names = list(CURRENCIES)
    currency_weights = list(accumulate(CURRENCIES[name][0] for name in currency_names))
    hour_weights = list(accumulate(HOUR_WEIGHTS))
    delivery_weights = list(accumulate(1 / (rank + 1) for rank in range(len(deliveries))))  # a few big, many small
    done = 0
    while done < args.conversions:
        size = min(CHUNK_ROWS, args.conversions - done)
        conversions, attributions, touchpoints = [], [], []
        for index in range(done, done + size):
            contact = rng.choice(contacts) if rng.random() > 0.02 else None
            if contact and rng.random() < 0.9:
                currency = contact[1]
            else:
                currency = rng.choices(currency_names, cum_weights=currency_weights)[0]
            share, country, per_euro, decimals = CURRENCIES[currency]
            # Oldest first, as real data arrives: rows of the same days sit together in the table.
            day = today - timedelta(days=HISTORY_DAYS - 1 - index * HISTORY_DAYS // args.conversions)
            local_time = clock(rng.choices(hours, cum_weights=hour_weights)[0], rng.randrange(60), rng.randrange(60))
            converted_at = min(datetime.combine(day, local_time, tzinfo=ZONE).astimezone(UTC), one_minute_ago)
            day = converted_at.astimezone(ZONE).date()
            price = rng.lognormvariate(3.6, 0.9) * per_euro
            revenue = Decimal(str(round(price, decimals))).quantize(CENT)
            without_tax = (revenue / Decimal("1.21")).quantize(CENT, rounding=ROUND_HALF_UP)
            rate = to_reference(currency, day, rates)
            reference = (revenue * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            reference_without_tax = (without_tax * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            conversion_id = uuid.uuid4()
            conversions.append(
                (
                    conversion_id, organization.pk, converted_at, converted_at, contact[0] if contact else None,
                    rng.choice(TYPES), rng.choice(STATUSES), 1 if rng.random() < 0.93 else rng.randint(2, 5),
                    revenue, without_tax, None, currency, REFERENCE_CURRENCY, reference, reference_without_tax,
                    rate.quantize(RATE_QUANTUM), f"B{index:08d}", None, None, "last_touch", 7,
                    rng.choice(("website", "website", "app")), contact[2] if contact else country, "", "", "{}",
                    converted_at, day,
                )
            )  # fmt: skip
            draw = rng.random()
            if contact is None or draw >= 0.40:
                continue
            credited = rng.choices(deliveries, cum_weights=delivery_weights, k=1 if draw < 0.35 else 2)
            if len(credited) == 2 and credited[0] == credited[1]:
                credited = credited[:1]
            weights = [Decimal(1)] if len(credited) == 1 else [Decimal("0.5"), Decimal("0.5")]
            amounts = [(revenue, without_tax, reference, reference_without_tax)]
            if len(credited) == 2:
                halves = tuple((value / 2).quantize(CENT, rounding=ROUND_HALF_UP) for value in amounts[0])
                amounts = [halves, tuple(whole - half for whole, half in zip(amounts[0], halves, strict=True))]
            for delivery, weight, money in zip(credited, weights, amounts, strict=True):
                attributions.append(
                    (uuid.uuid4(), organization.pk, converted_at, converted_at, conversion_id, delivery.campaign_id,
                     delivery.pk, weight, *money)
                )  # fmt: skip
                touched_at = converted_at - timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
                touchpoints.append(
                    (uuid.uuid4(), organization.pk, touched_at, touched_at, contact[0], delivery.campaign_id,
                     delivery.pk, "click", touched_at)
                )  # fmt: skip
            noise_at = converted_at - timedelta(days=rng.randrange(1, 30))
            noise = rng.choice(deliveries)
            touchpoints.append(
                (uuid.uuid4(), organization.pk, noise_at, noise_at, contact[0], noise.campaign_id, noise.pk,
                 rng.choice(("delivered", "open")), noise_at)
            )  # fmt: skip
        with transaction.atomic():
            loader.load(Conversion, conversion_columns, conversions)
            loader.load(Attribution, attribution_columns, attributions)
            loader.load(Touchpoint, touchpoint_columns, touchpoints)
        done += size
        bar.update(size)


def reuse_previous_load():
    """The organization of a previous run, without what that run's ingest measurement added."""
    from accounts.models import Organization
    from contacts.models import Contact
    from conversions.models import Conversion, Delivery, RollupMark
    from reporting.services import rollup_repair

    organization = Organization.objects.get(slug="bench")
    Conversion.objects.filter(organization=organization, order_id__startswith="NEW").delete()
    RollupMark.objects.filter(organization=organization).delete()
    rollup_repair(organization_id=organization.pk, since=datetime.now(ZONE).date() - timedelta(days=10))
    deliveries = sorted(Delivery.objects.filter(organization=organization), key=lambda delivery: delivery.name)
    deliveries.sort(key=lambda delivery: (delivery.campaign_id is None, delivery.name != "Campaign 0 / send 0"))
    contacts = [
        (contact_id, None, country)
        for contact_id, country in Contact.objects.filter(organization=organization).values_list("id", "country")
    ]
    return organization, deliveries, contacts


# --- Measuring --------------------------------------------------------------------------------------------------


def median_seconds(function, runs: int) -> tuple[float, object]:
    result = function()  # warm-up (and the answer to compare)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def once(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def fetch(sql: str, params) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def bare_totals(organization_id, first: date, last: date) -> dict:
    """The totals answer from raw rows with two hand-written queries (sums per currency, distinct contacts)."""
    where = "organization_id = %s AND status = 'approved' AND converted_date BETWEEN %s AND %s"
    rows = fetch(
        "SELECT currency, SUM(count), SUM(revenue), COALESCE(SUM(reference_revenue), 0) "
        f"FROM conversions_conversion WHERE {where} GROUP BY currency",
        [organization_id, first, last],
    )
    contacts = fetch(
        f"SELECT COUNT(DISTINCT contact_id) FROM conversions_conversion WHERE {where}", [organization_id, first, last]
    )
    return {
        "number": sum(row[1] for row in rows),
        "reference": round(sum(Decimal(str(row[3])) for row in rows), 2),
        "contacts": contacts[0][0],
    }


def bare_history(organization_id, first: date, last: date) -> list[tuple]:
    return fetch(
        "SELECT converted_date, SUM(count), COALESCE(SUM(reference_revenue), 0), COUNT(DISTINCT contact_id) "
        "FROM conversions_conversion WHERE organization_id = %s AND status = 'approved' "
        "AND converted_date BETWEEN %s AND %s GROUP BY converted_date ORDER BY converted_date",
        [organization_id, first, last],
    )


def bare_timeframe(organization_id, first: date, last: date) -> list[tuple]:
    return fetch(
        f"SELECT EXTRACT(hour FROM converted_at AT TIME ZONE '{ZONE_NAME}'), SUM(count), COUNT(DISTINCT contact_id) "
        "FROM conversions_conversion WHERE organization_id = %s AND status = 'approved' "
        "AND converted_date BETWEEN %s AND %s GROUP BY 1",
        [organization_id, first, last],
    )


def bare_delivery_page(organization_id, delivery_id, first: date, last: date) -> tuple[list, int]:
    where = (
        "c.organization_id = %s AND c.status = 'approved' AND c.converted_date BETWEEN %s AND %s "
        "AND EXISTS (SELECT 1 FROM conversions_attribution a WHERE a.conversion_id = c.id AND a.delivery_id = %s)"
    )
    params = [organization_id, first, last, delivery_id]
    rows = fetch(
        "SELECT c.id, c.contact_id, ct.client_contact_id, ct.first_name, ct.surname, c.converted_at, c.order_id, "
        "c.revenue, c.currency, c.reference_revenue, c.country FROM conversions_conversion c "
        f"LEFT JOIN contacts_contact ct ON ct.id = c.contact_id WHERE {where} "
        "ORDER BY c.converted_at DESC, c.id LIMIT 100",
        params,
    )
    total = fetch(f"SELECT COUNT(*) FROM conversions_conversion c WHERE {where}", params)[0][0]
    return [str(row[6]) for row in rows], total


BARE_ROLLUP_SQL = [
    "DELETE FROM reporting_conversionrollup WHERE organization_id = %(org)s {days}",
    "DELETE FROM reporting_creditrollup WHERE organization_id = %(org)s {days}",
    "INSERT INTO reporting_conversionrollup (organization_id, day, currency, country, type, status, rows_number, "
    "conversions_number, revenue, revenue_without_tax, reference_revenue, reference_revenue_without_tax) "
    "SELECT organization_id, converted_date, currency, country, type, status, COUNT(*), SUM(count), SUM(revenue), "
    "SUM(revenue_without_tax), COALESCE(SUM(reference_revenue), 0), COALESCE(SUM(reference_revenue_without_tax), 0) "
    "FROM conversions_conversion WHERE organization_id = %(org)s {converted_days} "
    "GROUP BY organization_id, converted_date, currency, country, type, status",
    "INSERT INTO reporting_creditrollup (organization_id, day, campaign_id, delivery_id, currency, country, type, "
    "status, rows_number, conversions_number, revenue, revenue_without_tax, reference_revenue, "
    "reference_revenue_without_tax) "
    "SELECT a.organization_id, c.converted_date, a.campaign_id, a.delivery_id, c.currency, c.country, c.type, "
    "c.status, COUNT(*), SUM(c.count * a.weight), SUM(a.revenue), SUM(a.revenue_without_tax), "
    "COALESCE(SUM(a.reference_revenue), 0), COALESCE(SUM(a.reference_revenue_without_tax), 0) "
    "FROM conversions_attribution a JOIN conversions_conversion c ON c.id = a.conversion_id "
    "WHERE a.organization_id = %(org)s {converted_days_c} "
    "GROUP BY a.organization_id, c.converted_date, a.campaign_id, a.delivery_id, c.currency, c.country, c.type, "
    "c.status",
]


def bare_rollup(organization_id, days: list[date] | None = None) -> None:
    """Delete the buckets and insert them again with one INSERT … SELECT … GROUP BY per rollup table."""
    from django.db import connection, transaction

    params = {"org": organization_id}
    filters = {"days": "", "converted_days": "", "converted_days_c": ""}
    if days:
        for index, day in enumerate(days):
            params[f"d{index}"] = day.isoformat()
        listed = ", ".join(f"%(d{index})s" for index in range(len(days)))
        filters = {
            "days": f"AND day IN ({listed})",
            "converted_days": f"AND converted_date IN ({listed})",
            "converted_days_c": f"AND c.converted_date IN ({listed})",
        }
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in BARE_ROLLUP_SQL:
            cursor.execute(statement.format(**filters), params)


def explain(function) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or "reporting_rollupmark" in sql and "DISTINCT" not in sql:
            continue
        if "accounts_apikey" in sql:
            continue
        print("\n" + sql[:300] + (" …" if len(sql) > 300 else ""))
        for (line,) in fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", []):
            print("    " + line)


def main():
    args = parse_args()
    os.environ["DATABASE_URL"] = prepare_database(args)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIClient
    from tqdm import tqdm

    from accounts.models import Organization
    from accounts.services import api_key_create
    from conversions.models import Conversion, RollupMark
    from conversions.services import BATCH_MAX_ITEMS, conversions_create_batch
    from reporting.services import rollup_drain, rollup_repair

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if args.reuse and Organization.objects.filter(slug="bench").exists():
        organization, deliveries, contacts = reuse_previous_load()
    else:
        with tqdm(total=args.conversions, desc="loading conversions", unit="conv") as bar:
            organization, deliveries, contacts = generate(args, bar)
    load_seconds = time.perf_counter() - started
    counts = {
        "conversions": Conversion.objects.count(),
        "contacts": len(contacts),
        "attribution rows": fetch("SELECT COUNT(*) FROM conversions_attribution", [])[0][0],
        "touchpoints": fetch("SELECT COUNT(*) FROM conversions_touchpoint", [])[0][0],
    }
    print(
        f"\n{connection.vendor}: loaded {', '.join(f'{value:,} {name}' for name, value in counts.items())} "
        f"in {load_seconds:.1f} s (including migrate)\n",
        flush=True,
    )

    results = []  # (what, ours, bare, unit)
    org_param = organization.pk if connection.vendor == "postgresql" else organization.pk.hex

    # Rollups: the bare single INSERT … SELECT first, then ours (the forced chunked rebuild), then our nightly check
    # over the whole history proves both gave the same buckets.
    bare_rebuild, _ = once(lambda: bare_rollup(org_param))
    ours_rebuild, _ = once(lambda: rollup_repair(organization_id=organization.pk, force=True))
    results.append(("rollup full rebuild (2 years, both rollups)", ours_rebuild, bare_rebuild, "s"))
    check_seconds, repaired = once(lambda: rollup_repair(organization_id=organization.pk))
    assert repaired == [], f"our rebuild and the bare INSERT … SELECT disagree on {len(repaired)} days"

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(organization=organization, name='bench')[1]}")
    today = datetime.now(ZONE).date()
    year = {"dateFrom": (today - timedelta(days=364)).isoformat(), "dateTo": today.isoformat()}
    first, last = today - timedelta(days=364), today

    def api(path, **params):
        response = client.get(f"/reporting/v1{path}", {**year, **params})
        assert response.status_code == 200, response.content[:500]
        return response.json()

    def totals_pair(label):
        ours, answer = median_seconds(lambda: api("/conversions/totals"), args.runs)
        bare, expected = median_seconds(lambda: bare_totals(org_param, first, last), args.runs)
        conversions = answer["conversions"]
        assert conversions["conversionsNumber"] == expected["number"], (conversions, expected)
        assert Decimal(str(conversions["conversionsAmountWTax"])) == expected["reference"], (conversions, expected)
        assert answer["uniqueContacts"] == expected["contacts"]
        results.append((label, ours, bare, "s"))

    totals_pair("totals, 1 year (API)")

    ours, answer = median_seconds(lambda: api("/conversions/history", interval="day"), args.runs)
    bare, expected = median_seconds(lambda: bare_history(org_param, first, last), args.runs)
    by_day = {row["date"]: row for row in answer["history"]}
    for day, number, reference, unique in expected:
        row = by_day[str(day)[:10]]
        assert (row["conversionsNumber"], row["uniqueContacts"]) == (number, unique)
        assert Decimal(str(row["conversionsAmountWTax"])) == round(Decimal(str(reference)), 2)
    results.append(("history by day, 1 year (API)", ours, bare, "s"))

    biggest = deliveries[0]
    ours, answer = median_seconds(lambda: api(f"/deliveries/{biggest.pk}/conversions", limit=100), args.runs)
    bare, (order_ids, total) = median_seconds(
        lambda: bare_delivery_page(
            org_param, biggest.pk if connection.vendor == "postgresql" else biggest.pk.hex, first, last
        ),
        args.runs,
    )
    assert [row["orderId"] for row in answer["conversions"]] == order_ids and answer["paging"]["totalCount"] == total
    results.append((f"delivery list page, 100 of {total:,} (API)", ours, bare, "s"))

    ours, answer = median_seconds(lambda: api("/conversions/timeframe", by="hour"), args.runs)
    bare = None
    if connection.vendor == "postgresql":
        bare, expected = median_seconds(lambda: bare_timeframe(org_param, first, last), args.runs)
        by_hour = {row["hour"]: row for row in answer["timeframe"]}
        for hour, number, unique in expected:
            assert (by_hour[int(hour)]["conversionsNumber"], by_hour[int(hour)]["uniqueContacts"]) == (number, unique)
    results.append(("timeframe by hour, 1 year (API; raw rows by design)", ours, bare, "s"))

    if args.explain and connection.vendor == "postgresql":
        for path, params in (
            ("/conversions/totals", {}),
            ("/conversions/history", {"interval": "day"}),
            (f"/deliveries/{biggest.pk}/conversions", {}),
            ("/conversions/totals", {"deliveryId": str(biggest.pk)}),
            ("/conversions/timeframe", {"by": "hour"}),
        ):
            print(f"\n===== EXPLAIN {path} {params}")
            explain(lambda path=path, params=params: api(path, **params))

    # Ingest through the one write path (validation, dedup, attribution, reference amounts, audit, marks),
    # spread over the last 7 days; then fold the marks it left.
    rng = random.Random(args.seed + 1)
    now = datetime.now(UTC)
    payloads = []
    for index in range(INGEST_ITEMS):
        contact_id = rng.choice(contacts)[0]
        payloads.append(
            {
                "contact_id": contact_id,
                "order_id": f"NEW{index:06d}",
                "revenue": Decimal(rng.randrange(100, 500000)) / 100,
                "currency": rng.choice(list(CURRENCIES)),
                "type": "purchase",
                "converted_at": now - timedelta(minutes=rng.randrange(10, 7 * 24 * 60)),
            }
        )
    from contacts.models import Contact

    contact_objects = Contact.objects.in_bulk([payload["contact_id"] for payload in payloads])

    def ingest_ours():
        # The batch endpoint's path: conversions_create_batch, 1000 items per call (validation, dedup,
        # attribution, history, marks), after the API serializer has turned contact_id into a contact.
        items = [
            {**{key: value for key, value in payload.items() if key != "contact_id"},
             "contact": contact_objects[payload["contact_id"]]}
            for payload in payloads
        ]  # fmt: skip
        for start in range(0, len(items), BATCH_MAX_ITEMS):
            outcomes = conversions_create_batch(organization=organization, items=items[start : start + BATCH_MAX_ITEMS])
            assert all(outcome.status == "created" for outcome in outcomes)

    ours_ingest, _ = once(ingest_ours)
    dirty_days = sorted(set(RollupMark.objects.values_list("day", flat=True)))
    totals_pair(f"totals, 1 year with {len(dirty_days)} dirty days (API)")

    def drain_all():
        while rollup_drain():
            pass

    ours_drain, _ = once(drain_all)
    bare_drain, _ = once(lambda: bare_rollup(org_param, dirty_days))
    results.append((f"incremental refresh after {INGEST_ITEMS:,} new conversions", ours_drain, bare_drain, "s"))
    assert rollup_repair(organization_id=organization.pk, since=dirty_days[0]) == []

    def ingest_bulk():
        objects = []
        for payload in payloads:
            converted_at = payload["converted_at"]
            objects.append(
                Conversion(
                    organization=organization, contact_id=payload["contact_id"], order_id="BULK" + payload["order_id"],
                    revenue=payload["revenue"], revenue_without_tax=payload["revenue"], currency=payload["currency"],
                    reference_currency=REFERENCE_CURRENCY, type="purchase", converted_at=converted_at,
                    converted_date=converted_at.astimezone(ZONE).date(),
                )
            )  # fmt: skip
        Conversion.objects.bulk_create(objects, batch_size=1000)

    bare_ingest, _ = once(ingest_bulk)
    Conversion.objects.filter(order_id__startswith="BULK").delete()
    results.append(
        (
            f"batch ingest of {INGEST_ITEMS:,} (conversions_create_batch vs ORM bulk_create)",
            INGEST_ITEMS / ours_ingest,
            INGEST_ITEMS / bare_ingest,
            "items/s",
        )
    )
    results.append(("nightly check, whole 2-year history (no repair needed)", check_seconds, None, "s"))

    print_table(results, connection.vendor, args.conversions)


def _figure(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.0f} {unit}"


def print_table(results, vendor: str, conversions: int) -> None:
    headers = ("measure", "ours", "bare SQL / ORM", "ours ÷ bare")
    rows = []
    for what, ours, bare, unit in results:
        ratio = "—" if bare is None else f"{ours / bare:.2f}"
        rows.append((what, _figure(ours, unit), _figure(bare, unit), ratio))
    widths = [max(len(str(row[index])) for row in (headers, *rows)) for index in range(4)]
    line = "+".join("-" * (width + 2) for width in widths)
    print(f"\nReporting benchmark: {vendor}, {conversions:,} conversions over {HISTORY_DAYS} days")
    print(line)
    print("|".join(f" {headers[index]:<{widths[index]}} " for index in range(4)))
    print(line)
    for row in rows:
        print(
            "|".join(
                f" {row[index]:<{widths[index]}} " if index == 0 else f" {row[index]:>{widths[index]}} "
                for index in range(4)
            )
        )
    print(line)
    print("Times are medians after a warm-up; for items/s, ours ÷ bare below 1 means slower.")


if __name__ == "__main__":
    main()
