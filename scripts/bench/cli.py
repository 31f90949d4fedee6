"""``make bench``: load a realistic dataset into a separate benchmark database and time the reporting paths.

    .venv/bin/python -m scripts.bench [--conversions 1000000] [--sqlite] [--explain]

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
import logging
import os
import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .constants import CURRENCIES, INGEST_ITEMS, REFERENCE_CURRENCY, ZONE
from .dataset import generate, reuse_previous_load
from .loader import prepare_database
from .measures import (
    bare_dashboard,
    bare_delivery_page,
    bare_history,
    bare_rollup,
    bare_timeframe,
    bare_totals,
    bare_uncredited_whole,
    explain,
    fetch,
    median_seconds,
    once,
)
from .table import print_table


@contextmanager
def derived_repairs():
    """The messages of the repairs ``conversions_derived_check`` logs while inside (whatever ``LOG_LEVEL``)."""
    messages = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("conversions.services.derived")
    handler, level = Collect(logging.WARNING), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def parse_args():
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversions", type=int, default=1_000_000, help="Conversions to load (default 1M).")
    parser.add_argument("--sqlite", action="store_true", help="Benchmark SQLite (var/bench.sqlite3) instead.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per query figure (median; default 5).")
    parser.add_argument("--explain", action="store_true", help="Print EXPLAIN ANALYZE of our report queries.")
    parser.add_argument("--seed", type=int, default=7, help="Random seed.")
    parser.add_argument(
        "--reuse", action="store_true", help="Reuse the benchmark database of the previous run (skip the load)."
    )
    return parser.parse_args()


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
    results.append(
        ("rollup full rebuild (2 years, 3 rollups; bare: 2, no model comparison)", ours_rebuild, bare_rebuild, "s")
    )
    with derived_repairs() as repairs:
        check_seconds, repaired = once(lambda: rollup_repair(organization_id=organization.pk))
    marks = RollupMark.objects.filter(organization=organization).count()
    print(f"nightly check: {len(repairs)} derived mismatches, {len(repaired)} rollup days repaired, {marks} marks")
    # The generator stores what the services would: a mismatch is a bug of the generator (or of the services).
    assert repairs == [], f"the nightly check repaired {len(repairs)} generated conversions, e.g. {repairs[:3]}"
    assert repaired == [], f"our rebuild and the bare INSERT … SELECT disagree on {len(repaired)} days"
    assert marks == 0, f"the nightly check left {marks} rollup marks"

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

    def comparison_row(label, date_from):
        """The attribution model comparison (every model), against the one figure bare SQL can give: the range's
        conversions without explicit credit, which each model's total plus the uncredited rest must equal."""
        ours, answer = median_seconds(lambda: api("/attribution/comparison", dateFrom=date_from.isoformat()), args.runs)
        bare, expected = median_seconds(lambda: bare_uncredited_whole(org_param, date_from, last), args.runs)
        assert answer["totalsEqual"] and answer["models"], answer["totals"]
        rest = answer["uncredited"]
        for model in answer["models"]:
            total = answer["totals"][model]
            assert total["conversionsNumber"] + rest["conversionsNumber"] == expected["number"], (model, total)
            amount = Decimal(str(total["conversionsAmountWTax"])) + Decimal(str(rest["conversionsAmountWTax"]))
            assert amount == expected["reference"], (model, amount, expected)
        results.append((f"{label} ({len(answer['models'])} models, API)", ours, bare, "s"))

    def dashboard_rows(label):
        """The admin home for the last 30 days: every figure (``build_dashboard``, what the page calls) against
        bare SQL for the same figures, checked equal; then the whole page through the test client (HTML)."""
        from django.test import Client

        from accounts.services import user_create_staff
        from reporting.dashboard import build_dashboard
        from reporting.selectors import ReportQuery

        month_first = today - timedelta(days=29)
        query = ReportQuery(organization=organization, date_from=month_first, date_to=today)
        ours, board = median_seconds(lambda: build_dashboard(query), args.runs)
        bare, expected = median_seconds(
            lambda: bare_dashboard(org_param, month_first, today, month_first - timedelta(days=30)), args.runs
        )
        for totals, figures in ((board.totals, expected["current"]), (board.previous_totals, expected["previous"])):
            assert (totals.number, totals.amount_with_tax, totals.unique_contacts) == (
                figures["number"], figures["reference"], figures["contacts"]
            ), (totals, figures)  # fmt: skip
        for row in board.history:
            number, reference, unique = expected["days"].get(row.key.isoformat(), (0, Decimal(0), 0))
            assert (row.number, row.amount_with_tax, row.unique_contacts) == (number, reference, unique), row
        for row in board.previous_history:
            assert row.amount_with_tax == expected["days"].get(row.first.isoformat(), (0, Decimal(0), 0))[1], row
        assert {row.key: row.amount_with_tax for row in board.countries} == expected["countries"]
        assert {row.key: row.amount_with_tax for row in board.origins} == expected["origins"]
        for target, rows in (("campaign", board.campaigns), ("delivery", board.deliveries)):
            assert [(row.id.hex, row.amount_with_tax) for row in rows] == expected["top"][target], target
        results.append((label, ours, bare, "s"))

        viewer = Client()
        staff = user_create_staff(username=f"bench-{time.monotonic_ns()}", password="unused-bench", superuser=True)
        viewer.force_login(staff)
        page = {"organization": str(organization.pk), "period": "30d"}

        def render():
            response = viewer.get("/admin/", page)
            assert response.status_code == 200 and b'id="revenue-chart"' in response.content
            return response

        ours_page, _ = median_seconds(render, args.runs)
        results.append((label.replace("(admin)", "(admin page, HTML)"), ours_page, bare, "s"))

    dashboard_rows("dashboard, 30 days (admin)")

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
    dashboard_rows(f"dashboard, 30 days with {len(dirty_days)} dirty days (admin)")
    comparison_row(f"attribution comparison, 30 days with {len(dirty_days)} dirty days", last - timedelta(days=29))

    def drain_all():
        while rollup_drain():
            pass

    ours_drain, _ = once(drain_all)
    # Clean days: the comparison reads its rollup (dirty days are computed in Python, measured above).
    comparison_row("attribution comparison, 30 days", last - timedelta(days=29))
    comparison_row("attribution comparison, 1 year", first)
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
