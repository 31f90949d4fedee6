"""Benchmark row: batch ingest of 1,000 conversions by the service, beside raw COPY and ORM bulk_create.

    DATABASE_URL=postgres://… .venv/bin/python manage.py migrate -v0
    DATABASE_URL=postgres://… .venv/bin/python -m scripts.bench_ingest [ROUNDS] [ITEMS]

Creates an organization with contacts, exchange rates and touchpoints, then, ROUNDS times: times
``conversions_create_batch`` of ITEMS new conversions (contacts by e-mail, three currencies, 40 days, touchpoint
credit), the ORM ``bulk_create`` of the same conversions alone (already built, so only the INSERT is timed), and a
raw ``COPY`` of the rows the service wrote (conversion, history and credit rows, new ids) into the same tables.
Every measure runs in its own transaction, rolled back for the two baselines. PostgreSQL only (COPY).
"""

import json
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.services import organization_create  # noqa: E402
from contacts.models import Contact  # noqa: E402
from conversions.models import Attribution, Campaign, Conversion, ExchangeRate, Touchpoint  # noqa: E402
from conversions.services import conversions_create_batch  # noqa: E402

CONTACTS = 200
DAYS = 40
CURRENCIES = ("EUR", "USD", "CZK")


class _Rollback(Exception):
    pass


def _setup():
    organization = organization_create(slug=f"bench-ingest-{uuid.uuid4().hex[:8]}", name="Bench ingest")
    now = timezone.now()
    contacts = Contact.objects.bulk_create(
        [Contact(organization=organization, email=f"buyer{n}@example.com") for n in range(CONTACTS)]
    )
    campaign = Campaign.objects.create(organization=organization, name="Bench")
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                organization=organization,
                contact=contact,
                campaign=campaign,
                kind=Touchpoint.Kind.CLICK,
                occurred_at=now - timedelta(days=DAYS + 1, hours=n % 5),
            )
            for contact in contacts
            for n in range(3)
        ]
    )
    today = now.date()
    for day in range(DAYS + 10):
        for currency, rate in (("USD", Decimal("1.08")), ("CZK", Decimal("25.1"))):
            ExchangeRate.objects.get_or_create(
                currency=currency, date=today - timedelta(days=day), defaults={"rate": rate}
            )
    return organization, now


def _items(run: str, count: int, now) -> list[dict]:
    return [
        {
            "order_id": f"{run}-{n}",
            "email": f"buyer{n % CONTACTS}@example.com",
            "revenue": Decimal("19.90") + n % 7,
            "currency": CURRENCIES[n % len(CURRENCIES)],
            "type": "purchase",
            "converted_at": now - timedelta(days=n % DAYS, minutes=n),
            "metadata": {"source": "bench"},
        }
        for n in range(count)
    ]


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _raw_copy(conversion_ids: list) -> float:
    """COPY the rows the service wrote for these conversions again (new ids and order ids), timed, rolled back."""
    conversion_columns = _columns(Conversion)
    history_model = Conversion.history.model
    history_columns = [c for c in _columns(history_model) if c != "history_id"]
    attribution_columns = _columns(Attribution)
    conversions = list(Conversion.objects.filter(pk__in=conversion_ids).values_list(*conversion_columns))
    history = list(history_model.objects.filter(id__in=conversion_ids).values_list(*history_columns))
    credit = list(Attribution.objects.filter(conversion_id__in=conversion_ids).values_list(*attribution_columns))
    new_ids = {row[0]: uuid.uuid4() for row in conversions}
    order_index = conversion_columns.index("order_id")
    metadata_index = conversion_columns.index("metadata")
    conversion_index = attribution_columns.index("conversion_id")

    def renamed(row, index_of_id=0):
        row = list(row)
        row[index_of_id] = new_ids[row[index_of_id]]
        return row

    conversion_rows = []
    for row in conversions:
        row = renamed(row)
        row[order_index] = f"raw-{row[0]}"
        row[metadata_index] = json.dumps(row[metadata_index])
        conversion_rows.append(row)
    history_rows = []
    for row in history:
        row = renamed(row, history_columns.index("id"))
        row[history_columns.index("order_id")] = f"raw-{row[history_columns.index('id')]}"
        row[history_columns.index("metadata")] = json.dumps(row[history_columns.index("metadata")])
        history_rows.append(row)
    credit_rows = []
    for row in credit:
        row = list(row)
        row[0] = uuid.uuid4()
        row[conversion_index] = new_ids[row[conversion_index]]
        credit_rows.append(row)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                raw = cursor.cursor
                for table, columns, rows in (
                    (Conversion._meta.db_table, conversion_columns, conversion_rows),
                    (history_model._meta.db_table, history_columns, history_rows),
                    (Attribution._meta.db_table, attribution_columns, credit_rows),
                ):
                    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def _bulk_create(organization, built: list[Conversion]) -> float:
    """ORM bulk_create of these (already built) conversions alone, timed, rolled back."""
    for conversion in built:
        conversion.pk = uuid.uuid4()
        conversion.order_id = f"orm-{conversion.pk}"
        conversion._state.adding = True
    started = time.perf_counter()
    try:
        with transaction.atomic():
            Conversion.objects.bulk_create(built, batch_size=1000)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds


def main(rounds: int, count: int) -> None:
    if connection.vendor != "postgresql":
        sys.exit("scripts.bench_ingest needs PostgreSQL (DATABASE_URL=postgres://…): it measures COPY.")
    organization, now = _setup()
    service, raw, orm = [], [], []
    for round_number in range(rounds):
        items = _items(f"r{round_number}-{uuid.uuid4().hex[:6]}", count, now)
        started = time.perf_counter()
        outcomes = conversions_create_batch(organization=organization, items=items)
        service.append(time.perf_counter() - started)
        created = [outcome.conversion for outcome in outcomes if outcome.status == "created"]
        if len(created) != count:
            sys.exit(f"expected {count} created, got {len(created)}: {outcomes[0]}")
        raw.append(_raw_copy([conversion.pk for conversion in created]))
        orm.append(_bulk_create(organization, list(Conversion.objects.filter(pk__in=[c.pk for c in created]))))
    service_s, raw_s, orm_s = (statistics.median(values) for values in (service, raw, orm))
    print(f"| measure ({count} items, median of {rounds}) | seconds | items/s | service items/s ÷ its items/s |")
    print("|---|---|---|---|")
    for name, seconds in (
        ("conversions_create_batch (service)", service_s),
        ("raw COPY: conversion + history + credit rows", raw_s),
        ("ORM bulk_create of the conversions alone", orm_s),
    ):
        print(f"| {name} | {seconds:.3f} | {count / seconds:,.0f} | {seconds / service_s:.2f}× |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
