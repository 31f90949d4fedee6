"""Measuring: median timings, and the bare, hand-written SQL computing the same answers as ours."""

import statistics
import time
from datetime import date
from decimal import Decimal

from .constants import ZONE_NAME


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


def bare_uncredited_whole(organization_id, first: date, last: date) -> dict:
    """What every model's comparison total plus the uncredited rest must add up to: the approved conversions of the
    range without explicit credit, from raw rows with one query (the bare figure beside the comparison rows)."""
    rows = fetch(
        "SELECT COALESCE(SUM(count), 0), COALESCE(SUM(reference_revenue), 0) FROM conversions_conversion "
        "WHERE organization_id = %s AND status = 'approved' AND converted_date BETWEEN %s AND %s "
        "AND campaign_id IS NULL AND delivery_id IS NULL",
        [organization_id, first, last],
    )
    return {"number": rows[0][0], "reference": round(Decimal(str(rows[0][1])), 2)}


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


def bare_dashboard(organization_id, first: date, last: date, previous_first: date) -> dict:
    """The admin dashboard's figures for ``first..last`` and the previous period ``previous_first..first-1`` from
    raw rows, as one would hand-write them: seven GROUP BY queries (both periods at once where they share a pass)."""
    approved = "organization_id = %s AND status = 'approved' AND converted_date BETWEEN %s AND %s"
    both = [first, organization_id, previous_first, last]
    per_currency = fetch(
        "SELECT converted_date >= %s, currency, SUM(count), COALESCE(SUM(reference_revenue), 0) "
        f"FROM conversions_conversion WHERE {approved} GROUP BY 1, 2",
        both,
    )
    contacts = fetch(
        f"SELECT converted_date >= %s, COUNT(DISTINCT contact_id) FROM conversions_conversion WHERE {approved} "
        "GROUP BY 1",
        both,
    )
    by_day = fetch(
        "SELECT converted_date, SUM(count), COALESCE(SUM(reference_revenue), 0), COUNT(DISTINCT contact_id) "
        f"FROM conversions_conversion WHERE {approved} GROUP BY converted_date ORDER BY converted_date",
        [organization_id, previous_first, last],
    )
    current = [organization_id, first, last]
    by_country = fetch(
        "SELECT country, SUM(count), COALESCE(SUM(reference_revenue), 0) "
        f"FROM conversions_conversion WHERE {approved} GROUP BY country",
        current,
    )
    by_origin = fetch(
        "SELECT origin, SUM(count), COALESCE(SUM(reference_revenue), 0) "
        f"FROM conversions_conversion WHERE {approved} GROUP BY origin",
        current,
    )
    credit = (
        "SELECT a.{target}_id, SUM(c.count * a.weight), COALESCE(SUM(a.reference_revenue), 0) "
        "FROM conversions_attribution a JOIN conversions_conversion c ON c.id = a.conversion_id "
        "WHERE a.organization_id = %s AND c.organization_id = %s AND c.status = 'approved' "
        "AND c.converted_date BETWEEN %s AND %s AND a.{target}_id IS NOT NULL "
        "GROUP BY a.{target}_id ORDER BY 3 DESC LIMIT 10"
    )
    credit_params = [organization_id, organization_id, first, last]
    top = {target: fetch(credit.format(target=target), credit_params) for target in ("campaign", "delivery")}

    def money(value) -> Decimal:
        return round(Decimal(str(value)), 2)

    totals = {bool(is_current): {"number": 0, "reference": Decimal(0), "contacts": 0} for is_current in (True, False)}
    for is_current, _currency, number, reference in per_currency:
        totals[bool(is_current)]["number"] += number
        totals[bool(is_current)]["reference"] += money(reference)
    for is_current, count in contacts:
        totals[bool(is_current)]["contacts"] = count
    return {
        "current": totals[True],
        "previous": totals[False],
        "days": {str(day)[:10]: (number, money(reference), unique) for day, number, reference, unique in by_day},
        "countries": {country or "": money(reference) for country, _number, reference in by_country},
        "origins": {origin or "": money(reference) for origin, _number, reference in by_origin},
        "top": {target: [(str(key).replace("-", ""), money(reference)) for key, _n, reference in rows]
                for target, rows in top.items()},
    }  # fmt: skip
