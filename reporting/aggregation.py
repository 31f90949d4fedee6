"""The one aggregation function every report figure and every rollup bucket goes through.

A ``Source`` says where rows come from (raw conversions, raw credit, or one of their rollups) and how the logical
columns (``day``, ``currency``, ``status`` …) and measures (``number``, ``revenue`` …) map onto it. ``aggregate``
builds ``SELECT <groupings>, <measures> FROM <source> WHERE <organization, days, filters> GROUP BY <groupings>``
for any source with the same grouping expressions, so the rollup refresh (``INSERT … SELECT`` over a raw source),
the report over clean days (a rollup source) and the report over dirty days (a raw source) cannot disagree on
what a bucket, a filter or a sum means.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, DateField, DecimalField, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, TruncMonth, TruncWeek

from conversions.models import Attribution, Conversion

from .models import (
    BUCKET_CREDIT_NUMBER_DECIMAL_PLACES,
    BUCKET_MONEY_MAX_DIGITS,
    ConversionRollup,
    CreditRollup,
)

# The same names on conversions, credit rows and both rollups: gross amounts, then what their refunds gave back.
MONEY_MEASURES = (
    "revenue",
    "revenue_without_tax",
    "reference_revenue",
    "reference_revenue_without_tax",
    "refunded_revenue",
    "refunded_revenue_without_tax",
    "reference_refunded_revenue",
    "reference_refunded_revenue_without_tax",
)
SUM_MEASURES = ("rows", "number", *MONEY_MEASURES)
CONTACTS_MEASURE = "contacts"


def _money_sum(expression) -> Coalesce:
    """A money sum as an exact decimal; rows without a value (an unknown reference amount) contribute 0."""
    output = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=2)
    return Coalesce(Sum(expression, output_field=output), Value(Decimal(0)), output_field=output)


def _integer_sum(expression) -> Coalesce:
    return Coalesce(Sum(expression), Value(0), output_field=IntegerField())


def _credit_number_sum() -> Coalesce:
    output = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES)
    return Coalesce(
        Sum(F("conversion__count") * F("weight"), output_field=output), Value(Decimal(0)), output_field=output
    )


def _rollup_number_sum(model) -> Callable[[], Coalesce]:
    if model is CreditRollup:
        output = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES)
        return lambda: Coalesce(Sum("conversions_number", output_field=output), Value(Decimal(0)), output_field=output)
    return lambda: _integer_sum("conversions_number")


@dataclass(frozen=True)
class Source:
    """A table reports can aggregate, with its logical columns and measures mapped to ORM expressions."""

    name: str
    model: type
    columns: dict[str, str]
    measures: dict[str, Callable]
    raw: bool
    rollup_dimensions: tuple[str, ...] = ()

    def column(self, name: str) -> F:
        return F(self.columns[name])


CONVERSION_DIMENSIONS = ("day", "currency", "country", "type", "status")
CREDIT_DIMENSIONS = ("day", "campaign", "delivery", "currency", "country", "type", "status")

RAW_CONVERSIONS = Source(
    name="raw conversions",
    model=Conversion,
    columns={
        "organization": "organization_id",
        "day": "converted_date",
        "moment": "converted_at",
        "currency": "currency",
        "country": "country",
        "type": "type",
        "status": "status",
        "contact": "contact_id",
    },
    measures={
        "rows": lambda: Count("pk"),
        "number": lambda: _integer_sum("count"),
        **{measure: (lambda measure=measure: _money_sum(measure)) for measure in MONEY_MEASURES},
        CONTACTS_MEASURE: lambda: Count("contact_id", distinct=True),
    },
    raw=True,
    rollup_dimensions=CONVERSION_DIMENSIONS,
)

RAW_CREDIT = Source(
    name="raw credit",
    model=Attribution,
    columns={
        "organization": "organization_id",
        "conversion_organization": "conversion__organization_id",
        "day": "conversion__converted_date",
        "moment": "conversion__converted_at",
        "currency": "conversion__currency",
        "country": "conversion__country",
        "type": "conversion__type",
        "status": "conversion__status",
        "contact": "conversion__contact_id",
        "campaign": "campaign_id",
        "delivery": "delivery_id",
    },
    measures={
        "rows": lambda: Count("pk"),
        "number": _credit_number_sum,
        **{measure: (lambda measure=measure: _money_sum(measure)) for measure in MONEY_MEASURES},
        CONTACTS_MEASURE: lambda: Count("conversion__contact_id", distinct=True),
    },
    raw=True,
    rollup_dimensions=CREDIT_DIMENSIONS,
)

ROLLUP_CONVERSIONS = Source(
    name="conversion rollup",
    model=ConversionRollup,
    columns={"organization": "organization_id", **{dimension: dimension for dimension in CONVERSION_DIMENSIONS}},
    measures={
        "rows": lambda: _integer_sum("rows_number"),
        "number": _rollup_number_sum(ConversionRollup),
        **{measure: (lambda measure=measure: _money_sum(measure)) for measure in MONEY_MEASURES},
    },
    raw=False,
)

ROLLUP_CREDIT = Source(
    name="credit rollup",
    model=CreditRollup,
    columns={
        "organization": "organization_id",
        **{dimension: dimension for dimension in CREDIT_DIMENSIONS},
        "campaign": "campaign_id",
        "delivery": "delivery_id",
    },
    measures={
        "rows": lambda: _integer_sum("rows_number"),
        "number": _rollup_number_sum(CreditRollup),
        **{measure: (lambda measure=measure: _money_sum(measure)) for measure in MONEY_MEASURES},
    },
    raw=False,
)

ROLLUP_OF = {RAW_CONVERSIONS.name: ROLLUP_CONVERSIONS, RAW_CREDIT.name: ROLLUP_CREDIT}


# --- Groupings: the GROUP BY expressions, built the same way for every source -------------------------------------


@dataclass(frozen=True)
class Grouping:
    """One GROUP BY expression. ``raw_only`` groupings need a column rollups do not keep (the exact time)."""

    build: Callable[[Source], object]
    raw_only: bool = False


def by_column(name: str) -> Grouping:
    return Grouping(lambda source: source.column(name))


def by_period(interval: str) -> Grouping:
    """The first day of the day / ISO week (Monday) / month a row's local day falls in."""
    if interval == "day":
        return by_column("day")
    truncate = {"week": TruncWeek, "month": TruncMonth}[interval]
    return Grouping(lambda source: truncate(source.column("day"), output_field=DateField()))


def by_weekday() -> Grouping:
    """ISO weekday of the local day: 1 = Monday … 7 = Sunday."""
    return Grouping(lambda source: ExtractIsoWeekDay(source.column("day")))


def by_local_hour(zone: ZoneInfo) -> Grouping:
    """Hour of the day (0..23) of the conversion time in ``zone``, DST-correct (the database converts each row)."""
    return Grouping(lambda source: ExtractHour(source.column("moment"), tzinfo=zone), raw_only=True)


# --- Which rows -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Row filters every report understands; empty collections mean "no filter on this column"."""

    currencies: Collection[str] = ()
    countries: Collection[str] = ()
    types: Collection[str] = ()
    statuses: Collection[str] = ()
    campaign_id: object = None
    delivery_id: object = None

    @property
    def credit(self) -> bool:
        """With a campaign or delivery, reports sum the credit given to it rather than whole conversions."""
        return self.campaign_id is not None or self.delivery_id is not None

    def dimensions_q(self, columns: Mapping[str, str]) -> Q:
        """The currency, country, type and status filters over ``columns`` (filter name → column path)."""
        conditions = Q()
        for column, values in (
            ("currency", self.currencies),
            ("country", self.countries),
            ("type", self.types),
            ("status", self.statuses),
        ):
            if values:
                conditions &= Q(**{f"{columns[column]}__in": sorted(values)})
        return conditions

    def targets_q(self, columns: Mapping[str, str]) -> Q:
        """The campaign and delivery filters over ``columns`` (``campaign`` / ``delivery`` → column path)."""
        conditions = Q()
        if self.campaign_id is not None:
            conditions &= Q(**{columns["campaign"]: self.campaign_id})
        if self.delivery_id is not None:
            conditions &= Q(**{columns["delivery"]: self.delivery_id})
        return conditions


@dataclass(frozen=True)
class DaySpan:
    """Local days ``first..last`` (inclusive), optionally only ``only`` days or without ``without`` days."""

    first: date
    last: date
    only: frozenset[date] | None = None
    without: frozenset[date] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return self.first > self.last or (self.only is not None and not self.only)


def source_for(filters: Filters, *, raw: bool, credit: bool = False) -> Source:
    """Credit rows with a campaign/delivery filter or when asked (``credit=True``: grouping by target)."""
    raw_source = RAW_CREDIT if filters.credit or credit else RAW_CONVERSIONS
    return raw_source if raw else ROLLUP_OF[raw_source.name]


def aggregate(
    source: Source,
    *,
    organization_ids: Collection,
    days: DaySpan,
    filters: Filters = Filters(),
    group_by: dict[str, Grouping],
    measures: Sequence[str] = SUM_MEASURES,
) -> QuerySet:
    """``SELECT g_<grouping>…, m_<measure>… FROM source WHERE … GROUP BY g_<grouping>…`` as a lazy queryset.

    The aliases are prefixed (``g_``, ``m_``) so they never clash with model fields and so callers can wrap the
    compiled SQL (``INSERT … SELECT g_day, … FROM (<this>)``) by name on every database.
    """
    if not group_by:
        raise ValueError("aggregate() needs at least one grouping; use aggregate_total() for a grand total.")
    for name, grouping in group_by.items():
        if grouping.raw_only and not source.raw:
            raise ValueError(f"Grouping '{name}' needs raw rows; the {source.name} does not keep that column.")
    queryset = _rows(source, organization_ids=organization_ids, days=days, filters=filters)
    return (
        queryset.values(**{f"g_{name}": grouping.build(source) for name, grouping in group_by.items()})
        .annotate(**{f"m_{measure}": source.measures[measure]() for measure in measures})
        .order_by()
    )


def aggregate_total(
    source: Source,
    *,
    organization_ids: Collection,
    days: DaySpan,
    filters: Filters = Filters(),
    measures: Sequence[str] = SUM_MEASURES,
) -> dict:
    """The same measures as ``aggregate`` over the whole selection, without grouping: ``{m_<measure>: value}``."""
    queryset = _rows(source, organization_ids=organization_ids, days=days, filters=filters)
    return queryset.aggregate(**{f"m_{measure}": source.measures[measure]() for measure in measures})


def _rows(source: Source, *, organization_ids: Collection, days: DaySpan, filters: Filters) -> QuerySet:
    columns = source.columns
    conditions = Q(**{f"{columns['organization']}__in": list(organization_ids)})
    if "conversion_organization" in columns:
        # Redundant (credit rows share their conversion's organization) but it lets the planner reach the
        # conversions through their (organization, day) indexes instead of scanning them all.
        conditions &= Q(**{f"{columns['conversion_organization']}__in": list(organization_ids)})
    conditions &= Q(**{f"{columns['day']}__gte": days.first, f"{columns['day']}__lte": days.last})
    if days.only is not None:
        conditions &= Q(**{f"{columns['day']}__in": sorted(days.only)})
    if days.without:
        conditions &= ~Q(**{f"{columns['day']}__in": sorted(days.without)})
    conditions &= filters.dimensions_q(columns) & filters.targets_q(columns)
    return source.model.objects.filter(conditions)


# --- Rollup refresh ---------------------------------------------------------------------------------------------


ROLLUP_MEASURE_COLUMNS = {
    "rows": "rows_number",
    "number": "conversions_number",
    **{measure: measure for measure in MONEY_MEASURES},
}


def insert_rollup_buckets(raw_source: Source, *, organization_ids: Collection, days: DaySpan) -> int:
    """``INSERT INTO <rollup> … SELECT … GROUP BY`` the raw rows of these days: one statement per rollup table.

    The caller deletes the days' buckets first, in the same transaction (see ``services.rollup_rebuild_days``).
    """
    rollup = ROLLUP_OF[raw_source.name]
    dimensions = ("organization", *raw_source.rollup_dimensions)
    queryset = aggregate(
        raw_source,
        organization_ids=organization_ids,
        days=days,
        group_by={dimension: by_column(dimension) for dimension in dimensions},
        measures=SUM_MEASURES,
    )
    select_sql, params = queryset.query.sql_with_params()
    target_columns = [rollup.model._meta.get_field(rollup.columns[name]).column for name in dimensions] + [
        ROLLUP_MEASURE_COLUMNS[measure] for measure in SUM_MEASURES
    ]
    source_columns = [f"g_{name}" for name in dimensions] + [f"m_{measure}" for measure in SUM_MEASURES]
    quote = connection.ops.quote_name
    statement = (
        f"INSERT INTO {quote(rollup.model._meta.db_table)} ({', '.join(quote(column) for column in target_columns)}) "
        f"SELECT {', '.join(quote(column) for column in source_columns)} FROM ({select_sql}) AS buckets"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount
