"""The exact checks after every probe, recounted in SQL: credit, reference amounts, reports, the outbox."""

from decimal import Decimal

from django.db import connection

from .probes import Result

SQL_CREDIT = """
SELECT c.id, c.revenue, c.revenue_without_tax, c.reference_revenue,
       SUM(a.weight), SUM(a.revenue), SUM(a.revenue_without_tax), SUM(a.reference_revenue), COUNT(a.reference_revenue)
FROM conversions_conversion c JOIN conversions_attribution a ON a.conversion_id = c.id
WHERE c.organization_id = %s GROUP BY c.id
"""
SQL_TOTALS = """
SELECT COALESCE(SUM(count), 0), COALESCE(SUM(reference_revenue), 0), COALESCE(SUM(reference_revenue_without_tax), 0)
FROM conversions_conversion WHERE organization_id = %s AND status = 'approved'
  AND converted_date BETWEEN %s AND %s
"""
SQL_CREDIT_TOTALS = """
SELECT COALESCE(SUM(c.count * a.weight), 0), COALESCE(SUM(a.reference_revenue), 0)
FROM conversions_conversion c JOIN conversions_attribution a ON a.conversion_id = c.id
WHERE c.organization_id = %s AND c.status = 'approved' AND a.delivery_id = %s
  AND c.converted_date BETWEEN %s AND %s
"""


def credit_adds_up(ctx) -> Result:
    """For every credited conversion: weights sum to 1, credited amounts to its amounts."""
    result = Result()
    with connection.cursor() as cursor:
        cursor.execute(SQL_CREDIT, [ctx.organization.pk])
        rows = cursor.fetchall()
    for pk, revenue, without_tax, reference, weight, credit, credit_without_tax, credit_reference, n_ref in rows:
        result.check(weight == 1, f"{pk}: weights sum to {weight}")
        result.check(credit == revenue, f"{pk}: credit {credit} != revenue {revenue}")
        result.check(credit_without_tax == without_tax, f"{pk}: credit w/o tax {credit_without_tax} != {without_tax}")
        if reference is not None and n_ref:
            result.check(credit_reference == reference, f"{pk}: credited reference {credit_reference} != {reference}")
    result.notes.append(f"{len(rows)} credited conversions")
    return result


def reference_amounts(ctx) -> Result:
    """Reference amounts = amounts × the rate of the day (conversions.rates), for every conversion."""
    from conversions.models import Conversion
    from conversions.rates import RateLookup, convert

    result = Result()
    lookup = RateLookup()
    rows = Conversion.objects.filter(organization=ctx.organization).values_list(
        "pk", "currency", "reference_currency", "converted_date", "revenue", "revenue_without_tax",
        "reference_revenue", "reference_revenue_without_tax",
    )  # fmt: skip
    for pk, currency, reference_currency, day, revenue, without_tax, reference, reference_without_tax in rows:
        rate = lookup(currency, reference_currency, day)
        result.check(
            (reference, reference_without_tax) == (convert(revenue, rate), convert(without_tax, rate)),
            f"{pk} ({currency}): reference {reference}/{reference_without_tax}, expected "
            f"{convert(revenue, rate)}/{convert(without_tax, rate)}",
        )
    return result


def reports_equal_sql(ctx) -> Result:
    """/reporting/v1/conversions/totals (overall and for the probes' delivery) equal a raw SQL recount."""
    result = Result()
    first, last = ctx.first_day.isoformat(), ctx.last_day.isoformat()
    base = f"/reporting/v1/conversions/totals?dateFrom={first}&dateTo={last}"
    with connection.cursor() as cursor:
        cursor.execute(SQL_TOTALS, [ctx.organization.pk, first, last])
        number, amount, amount_without_tax = cursor.fetchone()
        cursor.execute(SQL_CREDIT_TOTALS, [ctx.organization.pk, ctx.delivery_id, first, last])
        credit_number, credit_amount = cursor.fetchone()
    totals = ctx.client.must("GET", base)["conversions"]
    pairs = [
        ("number", totals["conversionsNumber"], number),
        ("amount with tax", totals["conversionsAmountWTax"], amount),
        ("amount without tax", totals["conversionsAmountWoTax"], amount_without_tax),
    ]
    credit = ctx.client.must("GET", f"{base}&deliveryId={ctx.delivery_id}")["conversions"]
    pairs += [
        ("delivery number", credit["conversionsNumber"], credit_number),
        ("delivery amount with tax", credit["conversionsAmountWTax"], credit_amount),
    ]
    for name, reported, counted in pairs:
        result.check(Decimal(str(reported)) == Decimal(counted), f"report {name} {reported} != SQL {counted}")
    result.notes.append(f"{number} conversions, {amount} {ctx.organization.reference_currency}")
    return result


def outbox_empty(ctx) -> Result:
    from core.models import FollowUp

    result = Result()
    left = FollowUp.objects.count()
    result.check(left == 0, f"{left} follow-ups still in the outbox")
    return result


def webhooks_delivered_once(ctx) -> Result:
    """Every ``touchpoint.created`` event (most written while Redis was down) reached the loopback receiver exactly
    once: signed, by its ``webhook-id``."""
    from webhooks.models import WebhookEvent
    from webhooks.tests.test_signing import verify

    from .probes import wait_for

    result = Result()
    events = {
        str(pk)
        for pk in WebhookEvent.objects.filter(organization=ctx.organization, type="touchpoint.created").values_list(
            "pk", flat=True
        )
    }

    def received():
        return [request.headers.get("webhook-id") for request in list(ctx.receiver.requests)]

    wait_for(lambda: events <= set(received()), ctx.args.settle_seconds)
    ids = received()
    result.tried = len(events)
    missing = events - set(ids)
    result.check(not missing, f"{len(missing)} of {len(events)} events never delivered")
    twice = len(ids) - len(set(ids))
    result.check(twice == 0, f"{twice} deliveries repeated an event already delivered")
    unsigned = sum(not verify(ctx.webhook_secret, r.headers, r.body) for r in list(ctx.receiver.requests))
    result.check(unsigned == 0, f"{unsigned} deliveries with a signature that does not verify")
    result.notes.append(f"{len(events)} events, {len(ids)} deliveries")
    return result


CHECKS = [
    ("check: credit adds up", credit_adds_up),
    ("check: reference amounts", reference_amounts),
    ("check: reports = SQL", reports_equal_sql),
    ("check: outbox empty", outbox_empty),
    ("check: webhooks delivered once", webhooks_delivered_once),
]
