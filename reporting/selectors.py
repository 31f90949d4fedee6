"""Reads behind reporting v1: totals, history, timeframe and conversion lists, exact at every moment.

Exactness: a write inserts a ``RollupMark`` for its local day in its own transaction, so the instant it is
committed its day is *dirty*. Every aggregate report reads the marks of its range first, then sums clean days
from the rollups and dirty days from the raw rows, both through ``aggregation.aggregate`` (the same GROUP BY
builder the rollup refresh uses), and adds the two. A drain replaces a day's buckets and deletes its marks in
one transaction, so a day is either dirty (raw, always exact) or has buckets that include every write whose
mark was visible: there is no moment at which a committed write is missing from a report.

Distinct contacts are always counted from raw rows (an index-only scan of ``conversion_report_covering`` on
PostgreSQL): a distinct count does not add across buckets, and a per-contact rollup would be as large as the raw
table (see ``reporting.models``). The hour-of-day timeframe is read raw for the same reason.

Money is ``Decimal`` throughout and rounded half-up to 2 decimals only in the final figures.
"""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery, UUIDField
from django.utils import timezone

from accounts.models import Organization
from conversions.models import CENT, Attribution, Campaign, Conversion, Delivery, RollupMark

from .aggregation import (
    CONTACTS_MEASURE,
    MONEY_MEASURES,
    DaySpan,
    Filters,
    Grouping,
    aggregate,
    aggregate_total,
    by_column,
    by_local_hour,
    by_period,
    by_weekday,
    source_for,
)
from .models import ConversionRollup

REPORT_DEFAULT_DAYS = 30
HISTORY_INTERVALS = ("day", "week", "month")
TIMEFRAME_KEYS = ("hour", "weekday")
HOURS = range(24)
ISO_WEEKDAYS = range(1, 8)
DEFAULT_STATUSES = (Conversion.Status.APPROVED,)
# Bounds on converted_at that surely contain the range's local days, whatever zone they were cut in (UTC-12 to
# UTC+14): the exact test is on converted_date; these only let the database use the time index.
DAY_CUT_MARGIN = timedelta(days=2)

LIST_SORT_FIELDS = {
    "datetime": "converted_at",
    "conversionsAmount": "revenue",
    "conversionsReferenceAmount": "reference_revenue",
    "country": "country",
    "orderId": "order_id",
}
LIST_DEFAULT_SORT = (("datetime", True),)
NULLABLE_SORT_FIELDS = frozenset({"conversionsReferenceAmount", "orderId"})


class ReadMode:
    """Where aggregate reports read from: clean days from rollups (the normal path) or everything raw."""

    AUTO = "auto"
    RAW = "raw"


@dataclass(frozen=True)
class ReportQuery:
    """One report request: whose data, which local days (inclusive) and which rows."""

    organization: Organization
    date_from: date
    date_to: date
    filters: Filters = field(default_factory=lambda: Filters(statuses=DEFAULT_STATUSES))

    @property
    def span(self) -> DaySpan:
        return DaySpan(self.date_from, self.date_to)


def report_default_range(
    organization: Organization, *, date_from: date | None = None, date_to: date | None = None
) -> tuple[date, date]:
    """The report's days: what was asked, with a missing end being the organization's local today and a missing
    start the 30 days that end there (never before the first day of the calendar)."""
    last = date_to or timezone.localdate(timezone=organization.zone)
    first = date_from or last - min(timedelta(days=REPORT_DEFAULT_DAYS - 1), last - date.min)
    return first, last


def report_campaign(*, organization: Organization, campaign_id) -> Campaign | None:
    return Campaign.objects.for_organization(organization).filter(pk=campaign_id).first()


def report_delivery(*, organization: Organization, delivery_id) -> Delivery | None:
    return Delivery.objects.for_organization(organization).filter(pk=delivery_id).first()


def report_check_targets(*, organization: Organization, campaign_id=None, delivery_id=None) -> None:
    """A ``campaignId``/``deliveryId`` filter must name one of the organization's own (else a 400)."""
    errors = {}
    if campaign_id is not None and report_campaign(organization=organization, campaign_id=campaign_id) is None:
        errors["campaignId"] = ["There is no such campaign."]
    if delivery_id is not None and report_delivery(organization=organization, delivery_id=delivery_id) is None:
        errors["deliveryId"] = ["There is no such delivery."]
    if errors:
        raise ValidationError(errors)


# --- Sums ---------------------------------------------------------------------------------------------------------


@dataclass
class Sums:
    """Unrounded sums of one group: ``number`` is the sum of ``count`` (``count × weight`` for credit)."""

    number: Decimal = Decimal(0)
    revenue: Decimal = Decimal(0)
    revenue_without_tax: Decimal = Decimal(0)
    reference_revenue: Decimal = Decimal(0)
    reference_revenue_without_tax: Decimal = Decimal(0)
    refunded_revenue: Decimal = Decimal(0)
    refunded_revenue_without_tax: Decimal = Decimal(0)
    reference_refunded_revenue: Decimal = Decimal(0)
    reference_refunded_revenue_without_tax: Decimal = Decimal(0)
    contacts: int = 0

    def add_row(self, row: dict) -> None:
        self.number += Decimal(row["m_number"])
        for measure in MONEY_MEASURES:
            setattr(self, measure, getattr(self, measure) + row[f"m_{measure}"])

    def add(self, other: "Sums") -> None:
        """Add another group's sums (numbers and money; distinct contacts do not add up)."""
        self.number += other.number
        for measure in MONEY_MEASURES:
            setattr(self, measure, getattr(self, measure) + getattr(other, measure))


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _divide(numerator: Decimal, denominator) -> Decimal:
    """Rounded ``numerator / denominator``; a division by zero is 0 (no conversions, no average)."""
    if not denominator:
        return Decimal("0.00")
    return round_money(Decimal(numerator) / Decimal(denominator))


def _number(value: Decimal) -> Decimal:
    """A conversions number: whole for plain reports, to the cent for fractional (linear) credit."""
    value = round_money(Decimal(value))
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _dirty_days(organization: Organization, span: DaySpan) -> frozenset[date]:
    marks = RollupMark.objects.filter(organization=organization, day__gte=span.first, day__lte=span.last)
    return frozenset(marks.values_list("day", flat=True).distinct())


def _grouped(
    query: ReportQuery,
    group_by: dict[str, Grouping],
    *,
    mode: str,
    credit: bool = False,
    with_contacts: bool = True,
) -> dict[tuple, Sums]:
    """Sums per group (rollups for clean days + raw rows for dirty days), then distinct contacts per group (raw).

    ``credit=True`` reads credit rows (amount × weight) even without a campaign/delivery filter, to group by them.
    """
    organization, filters, span = query.organization, query.filters, query.span
    raw_source = source_for(filters, raw=True, credit=credit)
    result: dict[tuple, Sums] = {}

    def fold(rows, *, sums: bool, contacts: bool) -> None:
        for row in rows:
            key = tuple(row[f"g_{name}"] for name in group_by)
            group = result.setdefault(key, Sums())
            if sums:
                group.add_row(row)
            if contacts:
                group.contacts = row[f"m_{CONTACTS_MEASURE}"]

    read_raw_only = mode == ReadMode.RAW or any(grouping.raw_only for grouping in group_by.values())
    common = {"organization_ids": [organization.pk], "filters": filters, "group_by": group_by}
    measures = ("number", *MONEY_MEASURES)
    if read_raw_only:
        # One pass over the raw rows gives both the sums and the distinct contacts.
        measures = (*measures, CONTACTS_MEASURE) if with_contacts else measures
        fold(aggregate(raw_source, days=span, measures=measures, **common), sums=True, contacts=with_contacts)
        return result
    dirty = _dirty_days(organization, span)
    rollup_days = DaySpan(span.first, span.last, without=dirty)
    rollup_source = source_for(filters, raw=False, credit=credit)
    fold(aggregate(rollup_source, days=rollup_days, measures=measures, **common), sums=True, contacts=False)
    if dirty:
        raw_days = DaySpan(span.first, span.last, only=dirty)
        fold(aggregate(raw_source, days=raw_days, measures=measures, **common), sums=True, contacts=False)
    if with_contacts:
        fold(aggregate(raw_source, days=span, measures=(CONTACTS_MEASURE,), **common), sums=False, contacts=True)
    return result


def _unique_contacts(query: ReportQuery) -> int:
    raw_source = source_for(query.filters, raw=True)
    total = aggregate_total(
        raw_source,
        organization_ids=[query.organization.pk],
        days=query.span,
        filters=query.filters,
        measures=(CONTACTS_MEASURE,),
    )
    return total[f"m_{CONTACTS_MEASURE}"] or 0


# --- Totals -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundFigures:
    """Gross (the amounts as sold), refunded (their refund ledgers' sums) and net (gross − refunded), rounded."""

    refunded_amount_without_tax: Decimal = Decimal("0.00")
    refunded_amount_with_tax: Decimal = Decimal("0.00")
    net_amount_without_tax: Decimal = Decimal("0.00")
    net_amount_with_tax: Decimal = Decimal("0.00")


def _refund_figures(sums: "Sums", *, reference: bool) -> dict:
    """The refunded and net figures of ``sums`` in the reference or the original currency. Net is rounded from the
    exact difference, so a fully refunded set of conversions nets to exactly 0."""
    prefix = "reference_" if reference else ""
    gross = getattr(sums, f"{prefix}revenue"), getattr(sums, f"{prefix}revenue_without_tax")
    refunded = getattr(sums, f"{prefix}refunded_revenue"), getattr(sums, f"{prefix}refunded_revenue_without_tax")
    return {
        "refunded_amount_with_tax": round_money(refunded[0]),
        "refunded_amount_without_tax": round_money(refunded[1]),
        "net_amount_with_tax": round_money(gross[0] - refunded[0]),
        "net_amount_without_tax": round_money(gross[1] - refunded[1]),
    }


@dataclass(frozen=True)
class CurrencyTotals(RefundFigures):
    currency: str = ""
    amount_without_tax: Decimal = Decimal("0.00")
    amount_with_tax: Decimal = Decimal("0.00")
    number: Decimal = Decimal(0)
    average: Decimal = Decimal("0.00")
    reference_amount_without_tax: Decimal = Decimal("0.00")
    reference_amount_with_tax: Decimal = Decimal("0.00")
    reference_refunded_amount_without_tax: Decimal = Decimal("0.00")
    reference_refunded_amount_with_tax: Decimal = Decimal("0.00")
    reference_net_amount_without_tax: Decimal = Decimal("0.00")
    reference_net_amount_with_tax: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Totals(RefundFigures):
    currency: str = ""
    unique_contacts: int = 0
    average_unique: Decimal = Decimal("0.00")
    amount_without_tax: Decimal = Decimal("0.00")
    amount_with_tax: Decimal = Decimal("0.00")
    number: Decimal = Decimal(0)
    average: Decimal = Decimal("0.00")
    breakdown: list[CurrencyTotals] = field(default_factory=list)

    @property
    def refund_rate(self) -> Decimal:
        """Refunded / gross, with tax, in percent to one decimal (0 without revenue)."""
        if not self.amount_with_tax:
            return Decimal("0.0")
        return (self.refunded_amount_with_tax * 100 / self.amount_with_tax).quantize(Decimal("0.1"), ROUND_HALF_UP)


def conversions_totals(query: ReportQuery, *, mode: str = ReadMode.AUTO) -> Totals:
    """The seed's totals: reference-currency sums, per-currency breakdown, averages and distinct contacts.

    Top-level amounts are sums of reference amounts (conversions whose reference amount is unknown, because no
    rate exists yet, contribute 0); ``number`` is the sum of ``count``; ``average`` = amount with tax / number;
    ``average_unique`` = amount with tax / distinct contacts. The breakdown has one row per original currency,
    by number descending (then currency code), with its own amounts and average in that currency.
    """
    per_currency = _grouped(query, {"currency": by_column("currency")}, mode=mode, with_contacts=False)
    overall = Sums()
    breakdown = []
    for (currency,), sums in per_currency.items():
        overall.add(sums)
        reference_refunds = _refund_figures(sums, reference=True)
        breakdown.append(
            CurrencyTotals(
                **_refund_figures(sums, reference=False),
                **{f"reference_{name}": value for name, value in reference_refunds.items()},
                currency=currency,
                amount_without_tax=round_money(sums.revenue_without_tax),
                amount_with_tax=round_money(sums.revenue),
                number=_number(sums.number),
                average=_divide(sums.revenue, sums.number),
                reference_amount_without_tax=round_money(sums.reference_revenue_without_tax),
                reference_amount_with_tax=round_money(sums.reference_revenue),
            )
        )
    breakdown.sort(key=lambda row: (-row.number, row.currency))
    unique_contacts = _unique_contacts(query)
    return Totals(
        **_refund_figures(overall, reference=True),
        currency=query.organization.reference_currency,
        unique_contacts=unique_contacts,
        average_unique=_divide(overall.reference_revenue, unique_contacts),
        amount_without_tax=round_money(overall.reference_revenue_without_tax),
        amount_with_tax=round_money(overall.reference_revenue),
        number=_number(overall.number),
        average=_divide(overall.reference_revenue, overall.number),
        breakdown=breakdown,
    )


# --- History and timeframe ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRow(RefundFigures):
    key: object = None  # the interval's first day, the hour or the ISO weekday
    number: Decimal = Decimal(0)
    amount_without_tax: Decimal = Decimal("0.00")
    amount_with_tax: Decimal = Decimal("0.00")
    unique_contacts: int = 0


def _series_row(key, sums: Sums | None) -> SeriesRow:
    sums = sums or Sums()
    return SeriesRow(
        **_refund_figures(sums, reference=True),
        key=key,
        number=_number(sums.number),
        amount_without_tax=round_money(sums.reference_revenue_without_tax),
        amount_with_tax=round_money(sums.reference_revenue),
        unique_contacts=sums.contacts,
    )


def interval_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def interval_starts(first: date, last: date, interval: str) -> list[date]:
    """The first day of every interval meeting ``first..last`` (weeks start on Monday)."""
    starts, current = [], interval_start(first, interval)
    while current <= last:
        starts.append(current)
        try:
            if interval == "day":
                current += timedelta(days=1)
            elif interval == "week":
                current += timedelta(days=7)
            else:
                current = (current + timedelta(days=32)).replace(day=1)
        except OverflowError:  # the calendar ends on 9999-12-31
            break
    return starts


def conversions_history(query: ReportQuery, *, interval: str, mode: str = ReadMode.AUTO) -> list[SeriesRow]:
    """One row per day / week / month meeting the range, empty intervals included, in reference currency."""
    grouped = _grouped(query, {"period": by_period(interval)}, mode=mode)
    by_start = {_as_date(key[0]): sums for key, sums in grouped.items()}
    return [
        _series_row(start, by_start.get(start)) for start in interval_starts(query.date_from, query.date_to, interval)
    ]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def conversions_timeframe(query: ReportQuery, *, by: str, mode: str = ReadMode.AUTO) -> list[SeriesRow]:
    """Rows per local hour of the day (0..23) or ISO weekday (1 = Monday), all present, in reference currency."""
    if by == "hour":
        grouping, keys = by_local_hour(query.organization.zone), HOURS
    else:
        grouping, keys = by_weekday(), ISO_WEEKDAYS
    grouped = _grouped(query, {by: grouping}, mode=mode)
    by_key = {int(key[0]): sums for key, sums in grouped.items()}
    return [_series_row(key, by_key.get(key)) for key in keys]


def conversions_top_targets(
    query: ReportQuery, *, target: str, limit: int, mode: str = ReadMode.AUTO, with_contacts: bool = True
) -> list[SeriesRow]:
    """The campaigns (or deliveries) with the most credited reference revenue in the range, best first.

    Rows are keyed by the target's id; figures are credit (amount × weight, ``count`` × weight), so a conversion
    split between two deliveries counts half for each. Credit to a delivery counts for its campaign too.
    ``with_contacts=False`` leaves ``unique_contacts`` at 0 and skips their raw count (a join of credit and
    conversions over the whole range, by far the costliest part when nobody shows them).
    """
    grouped = _grouped(query, {target: by_column(target)}, mode=mode, credit=True, with_contacts=with_contacts)
    rows = [_series_row(key[0], sums) for key, sums in grouped.items() if key[0] is not None]
    rows.sort(key=lambda row: (-row.amount_with_tax, -row.number, str(row.key)))
    return rows[:limit]


# --- Lists --------------------------------------------------------------------------------------------------------


CONVERSION_COLUMNS = {name: name for name in ("currency", "country", "type", "status")}
CREDIT_COLUMNS = {"campaign": "campaign_id", "delivery": "delivery_id"}


def _credit_rows(filters: Filters) -> QuerySet:
    return Attribution.objects.filter(filters.targets_q(CREDIT_COLUMNS), conversion=OuterRef("pk"))


def _order_by(sort: Sequence[tuple[str, bool]]) -> list:
    """ORDER BY terms; nullable columns put NULLs last both ways (databases disagree on the default), and the
    NOT NULL time keeps a plain order so PostgreSQL can walk ``conversion_org_time`` instead of sorting."""
    terms = []
    for name, descending in sort:
        expression = F(LIST_SORT_FIELDS[name])
        nulls_last = True if name in NULLABLE_SORT_FIELDS else None
        terms.append(expression.desc(nulls_last=nulls_last) if descending else expression.asc(nulls_last=nulls_last))
    return [*terms, F("converted_at").desc(), F("pk").asc()]


def _time_bounds(query: ReportQuery) -> dict:
    """``converted_at`` bounds that surely contain the range's local days in any zone (see ``DAY_CUT_MARGIN``), so
    the database can use the time index; a bound past either end of the calendar is left out (no row is there)."""
    bounds = {}
    with suppress(OverflowError):
        bounds["converted_at__gte"] = datetime.combine(query.date_from, time.min, tzinfo=UTC) - DAY_CUT_MARGIN
    with suppress(OverflowError):
        day_after = datetime.combine(query.date_to, time.min, tzinfo=UTC) + timedelta(days=1)
        bounds["converted_at__lt"] = day_after + DAY_CUT_MARGIN
    return bounds


def conversions_list_queryset(query: ReportQuery, *, sort: Sequence[tuple[str, bool]] = LIST_DEFAULT_SORT) -> QuerySet:
    """The conversions of the range that pass the filters (credited to the campaign/delivery when given).

    Each row carries the campaign and delivery of its largest credit (within the filter, when there is one).
    """
    organization, filters = query.organization, query.filters
    rows = Conversion.objects.for_organization(organization).filter(
        converted_date__gte=query.date_from, converted_date__lte=query.date_to, **_time_bounds(query)
    )
    rows = rows.filter(filters.dimensions_q(CONVERSION_COLUMNS))
    credit = _credit_rows(filters)
    if filters.credit:
        rows = rows.filter(Exists(credit))
    top_credit = credit.order_by("-weight", "pk")
    return (
        rows.select_related("contact")
        .annotate(
            credit_campaign_id=Subquery(top_credit.values("campaign_id")[:1], output_field=UUIDField()),
            credit_delivery_id=Subquery(top_credit.values("delivery_id")[:1], output_field=UUIDField()),
        )
        .order_by(*_order_by(sort))
    )


def conversions_list(
    query: ReportQuery, *, limit: int, offset: int, sort: Sequence[tuple[str, bool]] = LIST_DEFAULT_SORT
) -> tuple[list[Conversion], int]:
    """One page of ``conversions_list_queryset`` and the total number of rows: two queries (one past the end,
    whatever the offset, also one no database integer holds)."""
    queryset = conversions_list_queryset(query, sort=sort)
    total = queryset.order_by().count()
    page = list(queryset[offset : offset + limit]) if offset < total else []
    return page, total


# --- Comparison and breakdowns (the admin dashboard) ----------------------------------------------------------------


BREAKDOWN_DIMENSIONS = ("currency", "country", "type", "status", "origin")


def previous_period(query: ReportQuery) -> ReportQuery:
    """The same number of local days immediately before ``query``'s range, with the same filters."""
    length = query.date_to - query.date_from + timedelta(days=1)
    return ReportQuery(
        organization=query.organization,
        date_from=query.date_from - length,
        date_to=query.date_to - length,
        filters=query.filters,
    )


@dataclass(frozen=True)
class PeriodSums(RefundFigures):
    """The sums of the days ``first..last`` (inclusive), in reference currency; no distinct contacts (they do not
    add up across days)."""

    first: date = date.min
    last: date = date.min
    number: Decimal = Decimal(0)
    amount_without_tax: Decimal = Decimal("0.00")
    amount_with_tax: Decimal = Decimal("0.00")


def conversions_period_sums(query: ReportQuery, *, periods: Sequence[tuple[date, date]]) -> list[PeriodSums]:
    """Sums over arbitrary runs of days inside ``query``'s range, one row per ``(first, last)`` asked.

    Reads the range once by day (clean days from the rollups, dirty days raw, as every report) and folds the
    unrounded day sums into the periods, rounding only the final figures: so the sums equal a totals report of each
    period. Used to put the previous period beside the current one bucket by bucket, shifted by the period length.
    """
    by_day = _grouped(query, {"period": by_period("day")}, mode=ReadMode.AUTO, with_contacts=False)
    day_sums = {_as_date(key[0]): sums for key, sums in by_day.items()}
    rows = []
    for first, last in periods:
        total = Sums()
        for day, sums in day_sums.items():
            if first <= day <= last:
                total.add(sums)
        rows.append(
            PeriodSums(
                **_refund_figures(total, reference=True),
                first=first,
                last=last,
                number=_number(total.number),
                amount_without_tax=round_money(total.reference_revenue_without_tax),
                amount_with_tax=round_money(total.reference_revenue),
            )
        )
    return rows


def _by_origin() -> Grouping:
    """The conversion's ``origin`` (free text the rollups do not keep: read from raw rows)."""
    return Grouping(
        lambda source: F("conversion__origin") if source.model is Attribution else F("origin"), raw_only=True
    )


@dataclass(frozen=True)
class BreakdownRow(RefundFigures):
    """One value of a dimension: number, reference amounts, and the original-currency amounts by currency."""

    key: str = ""
    number: Decimal = Decimal(0)
    amount_without_tax: Decimal = Decimal("0.00")
    amount_with_tax: Decimal = Decimal("0.00")


def conversions_breakdown(query: ReportQuery, *, by: str, mode: str = ReadMode.AUTO) -> list[BreakdownRow]:
    """The range's figures per currency, country, type, status or origin, by reference revenue descending (then
    number, then key); an empty country or origin is the key ``""``. With a campaign/delivery filter, credit."""
    if by not in BREAKDOWN_DIMENSIONS:
        raise ValueError(f"Cannot break down by '{by}'. Allowed: {', '.join(BREAKDOWN_DIMENSIONS)}.")
    grouping = _by_origin() if by == "origin" else by_column(by)
    grouped = _grouped(query, {by: grouping}, mode=mode, with_contacts=False)
    rows = [
        BreakdownRow(
            **_refund_figures(sums, reference=True),
            key=key[0] or "",
            number=_number(sums.number),
            amount_without_tax=round_money(sums.reference_revenue_without_tax),
            amount_with_tax=round_money(sums.reference_revenue),
        )
        for key, sums in grouped.items()
    ]
    rows.sort(key=lambda row: (-row.amount_with_tax, -row.number, row.key))
    return rows


def report_dimension_values(organization: Organization, *, date_from: date, date_to: date) -> dict[str, list[str]]:
    """The currencies and countries of the organization's conversions on the local days ``date_from..date_to``, for
    filter choices: the rollups' values (an index-only range scan of their unique key) plus those of the raw rows
    of days not rolled up yet."""
    values: dict[str, set[str]] = {"currency": set(), "country": set()}
    days = {"day__gte": date_from, "day__lte": date_to}
    buckets = ConversionRollup.objects.filter(organization=organization, **days)
    dirty = RollupMark.objects.filter(organization=organization, **days).values("day")
    raw = Conversion.objects.for_organization(organization).filter(converted_date__in=dirty)
    for source in (buckets, raw):
        for currency, country in source.order_by().values_list("currency", "country").distinct():
            values["currency"].add(currency)
            values["country"].add(country)
    values["country"].discard("")
    return {name: sorted(found) for name, found in values.items()}
