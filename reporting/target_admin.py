"""Campaign and delivery lists with the credit each earned over a chosen period, from the reporting reads.

``conversions`` cannot import ``reporting`` (the layers), so reporting re-registers the two lists: the same admins
(``conversions.admin``) whose queryset is annotated with the credited conversions number and reference revenue
of each row over the chosen period (last 7/30/90 days, this month, last month; 30 days by default, like reporting
v1), in the local days of the row's organization.

The figures are those of ``/reporting/v1/conversions/totals?campaignId=…`` (or ``deliveryId``) over the same days,
read the way the selectors read them (``reporting.selectors._grouped``), with the same ``aggregation.aggregate``
builder: clean days from the credit rollup, dirty days (those with a ``RollupMark``) from the raw credit rows,
approved conversions only, money summed exactly and rounded half-up at the end. The difference is where the
dirty days are decided: here inside the statement (``EXISTS`` a mark for the row's day), so the whole page,
figures included, is one SELECT whatever the number of rows, and the columns can be sorted by the database.
"""

import calendar
import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db.models import Case, DateField, DecimalField, Exists, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversions.admin import CampaignAdmin, DeliveryAdmin
from conversions.models import Campaign, Delivery, RollupMark
from core.admin.display import money, nowrap
from core.admin.scoping import organizations_for, single_organization

from . import selectors
from .aggregation import RAW_CREDIT, ROLLUP_CREDIT, DaySpan, Filters, Source, aggregate, by_column
from .models import BUCKET_CREDIT_NUMBER_DECIMAL_PLACES, BUCKET_MONEY_MAX_DIGITS

PERIOD_PARAMETER = "period"
PERIOD_FIRST = "credit_period_first"
PERIOD_LAST = "credit_period_last"
CREDITED_NUMBER = "credited_number"
CREDITED_REVENUE = "credited_revenue"


@dataclass(frozen=True)
class Period:
    label: str
    short: str  # in the column headers
    days: int | None = None  # the last ``days`` local days, today included
    months_back: int | None = None  # a calendar month: 0 = this month (to today), 1 = the previous one

    def span(self, today: date) -> tuple[date, date]:
        if self.days is not None:
            return today - timedelta(days=self.days - 1), today
        first = today.replace(day=1)
        for _ in range(self.months_back or 0):
            first = (first - timedelta(days=1)).replace(day=1)
        if not self.months_back:
            return first, today
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


PERIODS = {
    "7d": Period("last 7 days", "7 days", days=7),
    "30d": Period("last 30 days", "30 days", days=selectors.REPORT_DEFAULT_DAYS),
    "90d": Period("last 90 days", "90 days", days=90),
    "this-month": Period("this month", "this month", months_back=0),
    "last-month": Period("last month", "last month", months_back=1),
}
DEFAULT_PERIOD = "30d"


def chosen_period(request) -> str:
    value = request.GET.get(PERIOD_PARAMETER)
    return value if value in PERIODS else DEFAULT_PERIOD


class CreditPeriodFilter(admin.SimpleListFilter):
    """The period of the credit columns; it chooses figures, not rows. Always one period (no "All")."""

    title = "credit period"
    parameter_name = PERIOD_PARAMETER

    def lookups(self, request, model_admin):
        return [(key, period.label.capitalize()) for key, period in PERIODS.items()]

    def choices(self, changelist):
        current = self.value() if self.value() in PERIODS else DEFAULT_PERIOD
        for key, label in self.lookup_choices:
            yield {
                "selected": key == current,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": label,
            }

    def queryset(self, request, queryset):
        return queryset


# --- The figures ----------------------------------------------------------------------------------------------------


def period_bounds(zone_names, period_key: str) -> dict[tuple[date, date], list[str]]:
    """The period's local days in each zone, grouped: at any instant the zones span at most three local dates."""
    period = PERIODS[period_key]
    groups: dict[tuple[date, date], list[str]] = defaultdict(list)
    for name in sorted(set(zone_names)):
        groups[period.span(timezone.localdate(timezone=ZoneInfo(name)))].append(name)
    return dict(groups)


def _bound(groups: dict[tuple[date, date], list[str]], index: int) -> Case:
    """The first (``index=0``) or last day of the period of the row's organization."""
    cases = [When(organization__timezone__in=names, then=Value(span[index])) for span, names in groups.items()]
    return Case(*cases, default=Value(None), output_field=DateField())


def _outer_organization(source: Source) -> Source:
    """``source`` with its organization columns compared by the organization's primary key: ``aggregate`` filters
    them with ``__in``, and a foreign key's ``__in`` cannot hold an outer reference (a plain UUID one can)."""
    columns = dict(source.columns)
    for name in ("organization", "conversion_organization"):
        if name in columns:
            columns[name] = columns[name].removesuffix("_id") + "__pk"
    return dataclasses.replace(source, columns=columns)


def _credit(source: Source, target: str, measure: str, *, dirty: bool) -> Subquery:
    """One measure of the credit given to the outer row (a campaign or delivery) over its period's days: from
    ``source`` on the days that are dirty (``dirty=True``, raw rows) or clean (rollup buckets)."""
    filters = Filters(statuses=selectors.DEFAULT_STATUSES, **{f"{target}_id": OuterRef("pk")})
    rows = aggregate(
        _outer_organization(source),
        organization_ids=[OuterRef("organization_id")],
        days=DaySpan(OuterRef(PERIOD_FIRST), OuterRef(PERIOD_LAST)),
        filters=filters,
        group_by={target: by_column(target)},
        measures=(measure,),
    )
    marked = Exists(
        RollupMark.objects.filter(
            organization_id=OuterRef(source.columns["organization"]), day=OuterRef(source.columns["day"])
        )
    )
    return Subquery(rows.filter(marked if dirty else ~marked).values(f"m_{measure}")[:1])


def _credit_sum(target: str, measure: str, output: DecimalField) -> Coalesce:
    zero = Value(Decimal(0), output_field=output)
    clean = Coalesce(_credit(ROLLUP_CREDIT, target, measure, dirty=False), zero, output_field=output)
    dirty = Coalesce(_credit(RAW_CREDIT, target, measure, dirty=True), zero, output_field=output)
    return Coalesce(clean + dirty, zero, output_field=output)


def annotate_credit(queryset, *, target: str, zone_names, period_key: str):
    """``queryset`` of campaigns or deliveries with ``credited_number`` and ``credited_revenue`` (reference
    currency, with tax) over the period, per the row's organization's days; unrounded, sortable."""
    groups = period_bounds(zone_names, period_key)
    number = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=BUCKET_CREDIT_NUMBER_DECIMAL_PLACES)
    revenue = DecimalField(max_digits=BUCKET_MONEY_MAX_DIGITS, decimal_places=2)
    return queryset.annotate(**{PERIOD_FIRST: _bound(groups, 0), PERIOD_LAST: _bound(groups, 1)}).annotate(
        **{
            CREDITED_NUMBER: _credit_sum(target, "number", number),
            CREDITED_REVENUE: _credit_sum(target, "reference_revenue", revenue),
        }
    )


# --- The lists ------------------------------------------------------------------------------------------------------


class CreditColumnsMixin:
    """Adds the credit period filter and the two sortable credit columns to a campaign or delivery list."""

    credit_target: str

    def get_list_filter(self, request):
        return (CreditPeriodFilter, *super().get_list_filter(request))

    def get_list_display(self, request):
        return (*super().get_list_display(request), *CREDIT_COLUMNS[chosen_period(request)])

    def get_list_select_related(self, request):
        related = super().get_list_select_related(request)
        if related is True:
            return related
        return (*(related or ()), *(() if "organization" in (related or ()) else ("organization",)))

    def changelist_view(self, request, extra_context=None):
        request._credit_columns = True
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not getattr(request, "_credit_columns", False):
            return queryset
        only = single_organization(request)
        if only is not None:
            zone_names = [only.timezone]
        else:
            zone_names = organizations_for(request).order_by().values_list("timezone", flat=True).distinct()
        return annotate_credit(
            queryset,
            target=self.credit_target,
            zone_names=list(zone_names),
            period_key=chosen_period(request),
        )


def _credit_number(obj):
    return selectors._number(getattr(obj, CREDITED_NUMBER))


def _credit_revenue(obj):
    amount = selectors.round_money(getattr(obj, CREDITED_REVENUE))
    return nowrap(money(amount, obj.organization.reference_currency))


def _column(render, description: str, ordering: str):
    """A list column whose header names the period. A callable rather than an admin method, so the header can
    differ per period; one per period, made once, as the admin recognizes sortable columns by identity."""

    def column(obj):
        return render(obj)

    column.short_description = description
    column.admin_order_field = ordering
    column.__name__ = ordering
    return column


CREDIT_COLUMNS = {
    key: (
        _column(_credit_number, f"conversions ({period.short})", CREDITED_NUMBER),
        _column(_credit_revenue, f"revenue ({period.short})", CREDITED_REVENUE),
    )
    for key, period in PERIODS.items()
}


class CampaignCreditAdmin(CreditColumnsMixin, CampaignAdmin):
    credit_target = "campaign"


class DeliveryCreditAdmin(CreditColumnsMixin, DeliveryAdmin):
    credit_target = "delivery"


for model, model_admin in ((Campaign, CampaignCreditAdmin), (Delivery, DeliveryCreditAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
