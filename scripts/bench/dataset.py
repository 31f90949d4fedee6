"""The generated dataset: exchange rates, contacts, campaigns and deliveries, conversions with their credit."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate

from .constants import (
    CENT,
    CHUNK_ROWS,
    CURRENCIES,
    FIRST_NAMES,
    HISTORY_DAYS,
    HOUR_WEIGHTS,
    RATE_QUANTUM,
    REFERENCE_CURRENCY,
    STATUSES,
    SURNAMES,
    TYPES,
    ZONE,
    ZONE_NAME,
)
from .loader import Loader, check_columns


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
    """Conversions over the last two years with their touchpoints and the credit the services would store, in
    chunks of 50k.

    The credit is not made up: it is what ``conversions.attribution.explain`` computes from the contact's
    touchpoints under the organization's rules (per-kind windows, opens, machine opens) and the conversion's
    model, and every credited amount is ``split_money`` of the conversion's amount, as
    ``conversion_credit_rows`` stores it. So the nightly check (``conversions_derived_check``) finds nothing to
    repair on a fresh load. A contact's touchpoints are generated after its previous conversions only, so a
    touchpoint never falls into the window of a conversion whose credit was computed before it.
    """
    from django.db import transaction

    from conversions.attribution import AttributionRules, Touch, explain, split_money
    from conversions.models import CREDITED_MONEY_FIELDS, Attribution, Conversion, Touchpoint
    from conversions.services.base import CANDIDATE_TOUCHPOINT_KINDS

    conversion_columns = [
        "id", "organization_id", "created_at", "updated_at", "contact_id", "type", "status", "count", "revenue",
        "revenue_without_tax", "payout", "currency", "reference_currency", "reference_revenue",
        "reference_revenue_without_tax", "reference_rate", "refunded_revenue", "refunded_revenue_without_tax",
        "reference_refunded_revenue", "reference_refunded_revenue_without_tax", "order_id", "campaign_id",
        "delivery_id", "attribution_model", "attribution_window", "attribution_window_explicit", "origin", "country",
        "coupon_code", "notes", "metadata", "converted_at", "converted_date",
    ]  # fmt: skip
    attribution_columns = [
        "id", "organization_id", "created_at", "updated_at", "conversion_id", "campaign_id", "delivery_id", "weight",
        *CREDITED_MONEY_FIELDS,
    ]  # fmt: skip
    touchpoint_columns = [
        "id", "organization_id", "created_at", "updated_at", "contact_id", "campaign_id", "delivery_id", "kind",
        "occurred_at", "is_machine",
    ]  # fmt: skip
    check_columns(Conversion, conversion_columns)
    check_columns(Attribution, attribution_columns)
    check_columns(Touchpoint, touchpoint_columns, omitted=["external_id"])

    rules = AttributionRules(
        click_window_days=organization.click_window_days,
        open_window_days=organization.open_window_days,
        count_opens=organization.count_opens,
        exclude_machine_opens=organization.exclude_machine_opens,
    )
    # Touches older than this before a contact's latest conversion can reach none of its later conversions.
    keep = timedelta(days=rules.longest_window_days + 2)
    zero = Decimal("0.00")
    hours = list(range(24))
    now = datetime.now(UTC)
    one_minute_ago = now - timedelta(minutes=1)
    currency_names = list(CURRENCIES)
    currency_weights = list(accumulate(CURRENCIES[name][0] for name in currency_names))
    hour_weights = list(accumulate(HOUR_WEIGHTS))
    delivery_weights = list(accumulate(1 / (rank + 1) for rank in range(len(deliveries))))  # a few big, many small
    recent_touches: dict = {}  # contact id: its opens and clicks that may still count for a later conversion
    last_converted: dict = {}  # contact id: the time of its latest conversion so far
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
            # No refunds: the refunded sums are 0 and so are their reference amounts (``rates.convert(0, rate)``).
            money = {
                "revenue": revenue, "revenue_without_tax": without_tax, "reference_revenue": reference,
                "reference_revenue_without_tax": reference_without_tax, "refunded_revenue": zero,
                "refunded_revenue_without_tax": zero, "reference_refunded_revenue": zero,
                "reference_refunded_revenue_without_tax": zero,
            }  # fmt: skip
            draw = rng.random()
            # 35 % were clicked from one delivery, 5 % from two (those use the linear model, so both share it).
            model = "linear" if 0.35 <= draw < 0.40 else "last_touch"
            conversion_id = uuid.uuid4()
            conversions.append(
                (
                    conversion_id, organization.pk, converted_at, converted_at, contact[0] if contact else None,
                    rng.choice(TYPES), rng.choice(STATUSES), 1 if rng.random() < 0.93 else rng.randint(2, 5),
                    revenue, without_tax, None, currency, REFERENCE_CURRENCY, reference, reference_without_tax,
                    rate.quantize(RATE_QUANTUM), zero, zero, zero, zero, f"B{index:08d}", None, None, model,
                    organization.default_attribution_window, False, rng.choice(("website", "website", "app")),
                    contact[2] if contact else country, "", "", "{}", converted_at, day,
                )
            )  # fmt: skip
            if contact is None:
                continue  # no contact, no touchpoints: no credit
            contact_id = contact[0]
            previous = last_converted.get(contact_id)
            last_converted[contact_id] = max(converted_at, previous or converted_at)
            reach_start = converted_at - keep
            touches = [touch for touch in recent_touches.get(contact_id, ()) if touch.occurred_at >= reach_start]
            new_touches = []
            if draw < 0.40:
                credited = rng.choices(deliveries, cum_weights=delivery_weights, k=1 if draw < 0.35 else 2)
                for delivery in credited:
                    touched_at = converted_at - timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
                    new_touches.append(("click", touched_at, delivery, False))
                noise_at = converted_at - timedelta(days=rng.randrange(1, 30))
                noise = rng.choice(deliveries)
                kind = rng.choice(("delivered", "open"))
                new_touches.append((kind, noise_at, noise, kind == "open" and rng.random() < 0.3))
            for kind, touched_at, delivery, is_machine in new_touches:
                if previous is not None and touched_at <= previous:
                    continue  # it would fall into the window of a conversion already credited
                touch_id = uuid.uuid4()
                touchpoints.append(
                    (touch_id, organization.pk, touched_at, touched_at, contact_id, delivery.campaign_id,
                     delivery.pk, kind, touched_at, is_machine)
                )  # fmt: skip
                if kind in CANDIDATE_TOUCHPOINT_KINDS:
                    touches.append(Touch(touch_id, kind, touched_at, delivery.campaign_id, delivery.pk, is_machine))
            recent_touches[contact_id] = touches
            credit = explain(model=model, rules=rules, converted_at=converted_at, touches=touches).credit
            weights = [item.weight for item in credit]
            split = {field: split_money(amount, weights) for field, amount in money.items()}
            for position, item in enumerate(credit):
                attributions.append(
                    (uuid.uuid4(), organization.pk, converted_at, converted_at, conversion_id, item.campaign_id,
                     item.delivery_id, item.weight, *(split[field][position] for field in CREDITED_MONEY_FIELDS))
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
