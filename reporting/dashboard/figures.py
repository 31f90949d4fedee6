"""Every figure of the dashboard, read from ``reporting.selectors`` for the range and the previous period, and the
attribution model comparison (``reporting.comparison``, the read behind ``/reporting/v1/attribution/comparison``)."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from conversions.models import Campaign, Delivery

from .. import comparison, selectors
from .form import DASHBOARD_TOP_TARGETS, bucket_interval

# --- The figures ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    id: object
    name: str
    number: Decimal
    amount_with_tax: Decimal


@dataclass(frozen=True)
class Dashboard:
    """Every figure of one dashboard: the selectors' answers for the range and for the previous period."""

    query: selectors.ReportQuery
    previous_query: selectors.ReportQuery
    totals: selectors.Totals
    previous_totals: selectors.Totals
    interval: str
    history: list[selectors.SeriesRow]
    previous_history: list[selectors.PeriodSums]  # the same days of each bucket, one period length earlier
    countries: list[selectors.BreakdownRow]
    origins: list[selectors.BreakdownRow]
    campaigns: list[Target]
    deliveries: list[Target]
    comparison: comparison.Comparison  # every attribution model's credit over the range (campaign filters ignored)

    @property
    def days(self) -> int:
        return (self.query.date_to - self.query.date_from).days + 1

    @property
    def currency(self) -> str:
        return self.totals.currency

    def bucket_days(self, row: selectors.SeriesRow) -> tuple[date, date]:
        return bucket_days(row.key, self.interval, self.query)


def bucket_days(start: date, interval: str, query: selectors.ReportQuery) -> tuple[date, date]:
    """The days of the range a history bucket holds (the first and last buckets may be cut by the range)."""
    if interval == "day":
        end = start
    elif interval == "week":
        end = start + timedelta(days=6)
    else:
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return max(start, query.date_from), min(end, query.date_to)


def _top(query: selectors.ReportQuery, target: str, model) -> list[Target]:
    rows = selectors.conversions_top_targets(query, target=target, limit=DASHBOARD_TOP_TARGETS, with_contacts=False)
    names = dict(
        model.objects.for_organization(query.organization)
        .filter(pk__in=[row.key for row in rows])
        .values_list("pk", "name")
    )
    return [Target(row.key, names.get(row.key, "(deleted)"), row.number, row.amount_with_tax) for row in rows]


def build_dashboard(query: selectors.ReportQuery) -> Dashboard:
    """Every figure of the dashboard, from the reporting selectors only."""
    previous = selectors.previous_period(query)
    interval = bucket_interval(query.date_from, query.date_to)
    history = selectors.conversions_history(query, interval=interval)
    shift = query.date_from - previous.date_from
    periods = [bucket_days(row.key, interval, query) for row in history]
    periods = [(first - shift, last - shift) for first, last in periods]
    return Dashboard(
        query=query,
        previous_query=previous,
        totals=selectors.conversions_totals(query),
        previous_totals=selectors.conversions_totals(previous),
        interval=interval,
        history=history,
        previous_history=selectors.conversions_period_sums(previous, periods=periods),
        countries=selectors.conversions_breakdown(query, by="country"),
        origins=selectors.conversions_breakdown(query, by="origin"),
        campaigns=_top(query, "campaign", Campaign),
        deliveries=_top(query, "delivery", Delivery),
        comparison=comparison.attribution_comparison(query, models=comparison.comparison_models()),
    )
