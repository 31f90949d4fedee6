"""The admin home: the reporting dashboard of one organization for a range of its local days.

One aggregation path: every figure comes from ``reporting.selectors`` (the reads behind ``/reporting/v1/``), for
the range asked and for the previous period of the same length. This module only chooses the range (presets in
the organization's zone), validates the filters, folds selector rows into what a person reads (KPI changes, chart
geometry, shares) and writes them out as HTML context or CSV.

- ``build_dashboard(query)``: every figure of the page (the function the view, the CSV and ``make bench`` call).
- ``dashboard_callback(request, context)``: unfold's ``DASHBOARD_CALLBACK``; ``/admin/`` renders the dashboard.
- ``dashboard_csv(dashboard)``: what is on screen, as CSV (plain numbers, a section per block).

Numbers are formatted for the staff user's locale (the browser's ``Accept-Language``: thousands separators, two
decimals for money, the currency code); the UI language itself stays English.
"""

import calendar
import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.urls import reverse
from django.utils import dateformat, formats, numberformat, timezone, translation
from django.utils.text import slugify

from conversions.models import Campaign, Conversion, Delivery
from core.admin.scoping import organizations_for, single_organization
from core.validators import validate_country, validate_currency

from . import selectors
from .aggregation import Filters

DASHBOARD_MAX_DAYS = 366
DASHBOARD_TOP_TARGETS = 10
BREAKDOWN_ROWS = 8  # per breakdown table; the rest is one "Other" row
TARGET_CHOICES_MAX = 500  # campaigns (deliveries) in the filter select, by name; the top lists link to any other
DAY_BUCKETS_MAX_DAYS = 31
WEEK_BUCKETS_MAX_DAYS = 190  # about 27 weeks; longer ranges are shown by month
ALL_STATUSES = "all"

PRESETS = (
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("90d", "Last 90 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
)
CUSTOM = "custom"
DEFAULT_PRESET = "30d"

# The chart: an SVG drawn here, scaled to the width of its card (never wider than the page).
CHART_WIDTH = 880
CHART_HEIGHT = 300
CHART_LEFT = 84  # room for the y tick labels
CHART_RIGHT = 12
CHART_TOP = 16
CHART_BOTTOM = 36  # room for the x labels
CHART_LABEL_SPACING = 58  # at least this many pixels between two x labels
CHART_CHAR_WIDTH = 6.4  # of an 11 px digit, to fit value labels
CHART_Y_TICKS = 5


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The local days of a preset, ``today`` being the organization's local today (every preset ends today except
    last month)."""
    if preset == "today":
        return today, today
    if preset in ("7d", "30d", "90d"):
        return today - timedelta(days=int(preset[:-1]) - 1), today
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"Unknown preset '{preset}'.")


def bucket_interval(date_from: date, date_to: date) -> str:
    """Day, week or month buckets, so that the chart has at most 31 bars."""
    days = (date_to - date_from).days + 1
    if days <= DAY_BUCKETS_MAX_DAYS:
        return "day"
    if days <= WEEK_BUCKETS_MAX_DAYS:
        return "week"
    return "month"


# --- Locale ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberFormat:
    """Numbers as the staff user's locale writes them, always grouped by thousands."""

    language: str = "en"

    @classmethod
    def for_request(cls, request) -> "NumberFormat":
        return cls(translation.get_language_from_request(request))

    def _get(self, name: str):
        return formats.get_format(name, lang=self.language)

    def number(self, value, decimals: int) -> str:
        value = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        return numberformat.format(
            value,
            self._get("DECIMAL_SEPARATOR"),
            decimal_pos=decimals,
            grouping=self._get("NUMBER_GROUPING") or 3,
            thousand_sep=self._get("THOUSAND_SEPARATOR") or ",",
            force_grouping=True,
        )

    def money(self, value, currency: str = "") -> str:
        return f"{self.number(value, 2)} {currency}".strip()

    def count(self, value) -> str:
        """A conversions number: whole, or to the cent for fractional (credited) numbers."""
        value = Decimal(value)
        return self.number(value, 0 if value == value.to_integral_value() else 2)

    def signed(self, text: str, value) -> str:
        return f"+{text}" if value > 0 else (f"−{text.lstrip('-')}" if value < 0 else text)

    def percent(self, value) -> str:
        return f"{self.number(value, 1)} %"

    def compact(self, value) -> str:
        """A short label for a chart value: 950, 12.3k, 4.56M."""
        value = Decimal(value)
        for threshold, suffix in ((Decimal(10) ** 9, "G"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
            if abs(value) >= threshold:
                scaled = value / threshold
                return self.number(scaled, 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0) + suffix
        return self.number(value, 0)


# --- The form ---------------------------------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    """The query string of the dashboard: organization, preset or custom days, and the report filters.

    The organization must be one the user may act for (``core.admin.scoping``), the campaign and delivery must be
    that organization's own: a member never gets another organization's figures.
    """

    organization = forms.ModelChoiceField(queryset=None, required=True, label="Organization")
    period = forms.ChoiceField(choices=(*PRESETS, (CUSTOM, "Custom")), required=False, label="Period")
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")
    type = forms.ChoiceField(choices=(("", "All types"), *Conversion.Type.choices), required=False, label="Type")
    status = forms.ChoiceField(
        choices=(*Conversion.Status.choices, (ALL_STATUSES, "All statuses")), required=False, label="Status"
    )
    country = forms.CharField(required=False, max_length=2, label="Country")
    currency = forms.CharField(required=False, max_length=3, label="Currency")
    campaign = forms.UUIDField(required=False, label="Campaign")
    delivery = forms.UUIDField(required=False, label="Delivery")

    def __init__(self, data, *, request):
        self.request = request
        data = data.copy()
        default = single_organization(request) or organizations_for(request).first()
        if not data.get("organization") and default is not None:
            data["organization"] = str(default.pk)
        super().__init__(data)
        self.fields["organization"].queryset = organizations_for(request)
        if single_organization(request) is not None:
            self.fields["organization"].widget = forms.HiddenInput()

    def clean_country(self):
        return self._code(self.cleaned_data["country"], validate_country)

    def clean_currency(self):
        return self._code(self.cleaned_data["currency"], validate_currency)

    @staticmethod
    def _code(value: str, check) -> str:
        value = value.strip().upper()
        if value:
            check(value)
        return value

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization")
        if organization is None:
            return cleaned
        period, first, last = cleaned.get("period"), cleaned.get("date_from"), cleaned.get("date_to")
        if period in dict(PRESETS):
            first, last = preset_range(period, timezone.localdate(timezone=organization.zone))
        elif first or last or "date_from" in self.errors or "date_to" in self.errors:
            period = CUSTOM
            first, last = selectors.report_default_range(organization, date_from=first, date_to=last)
        else:
            period = DEFAULT_PRESET
            first, last = preset_range(period, timezone.localdate(timezone=organization.zone))
        if first > last:
            self.add_error("date_to", "Must not be before the start date.")
        elif (last - first).days + 1 > DASHBOARD_MAX_DAYS:
            self.add_error("date_to", f"At most {DASHBOARD_MAX_DAYS} days at once.")
        cleaned.update(period=period, date_from=first, date_to=last)
        for name, lookup in (("campaign", selectors.report_campaign), ("delivery", selectors.report_delivery)):
            if cleaned.get(name) is not None:
                target = lookup(organization=organization, **{f"{name}_id": cleaned[name]})
                if target is None:
                    self.add_error(name, f"There is no such {name} in {organization}.")
                cleaned[name] = target
        return cleaned

    def query(self) -> selectors.ReportQuery:
        values = self.cleaned_data
        status = values.get("status") or Conversion.Status.APPROVED
        filters = Filters(
            currencies=[values["currency"]] if values.get("currency") else (),
            countries=[values["country"]] if values.get("country") else (),
            types=[values["type"]] if values.get("type") else (),
            statuses=() if status == ALL_STATUSES else (status,),
            campaign_id=values["campaign"].pk if values.get("campaign") else None,
            delivery_id=values["delivery"].pk if values.get("delivery") else None,
        )
        return selectors.ReportQuery(
            organization=values["organization"],
            date_from=values["date_from"],
            date_to=values["date_to"],
            filters=filters,
        )

    def parameters(self, **changes) -> dict:
        """The query string of what is shown, exact (a preset by name, custom days by date), with ``changes``."""
        values = self.cleaned_data
        parameters = {"organization": str(values["organization"].pk), "period": values.get("period")}
        if values.get("period") == CUSTOM:
            for name in ("date_from", "date_to"):
                if values.get(name):
                    parameters[name] = values[name].isoformat()
        for name in ("type", "status", "country", "currency"):
            if values.get(name):
                parameters[name] = values[name]
        for name in ("campaign", "delivery"):
            if values.get(name) is not None:
                parameters[name] = str(values[name].pk)
        parameters.update(changes)
        return {name: value for name, value in parameters.items() if value not in (None, "")}


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
    )


# --- What a person reads ----------------------------------------------------------------------------------------------

KPIS = (
    # (key, label, Totals attribute, kind, element id)
    ("revenue", "Revenue (with tax)", "amount_with_tax", "money", "total-with-tax"),
    ("revenue_without_tax", "Revenue (without tax)", "amount_without_tax", "money", "total-without-tax"),
    ("conversions", "Conversions", "number", "count", "total-number"),
    ("unique_contacts", "Unique contacts", "unique_contacts", "count", "total-contacts"),
    ("average", "Average conversion", "average", "money", "total-average"),
    ("average_per_contact", "Revenue per contact", "average_unique", "money", "total-average-unique"),
)


def kpi_rows(dashboard: Dashboard) -> list[dict]:
    """Each KPI with its previous-period value, the change and the change in percent (``None`` from zero)."""
    rows = []
    for key, label, attribute, kind, element_id in KPIS:
        value = Decimal(getattr(dashboard.totals, attribute))
        previous = Decimal(getattr(dashboard.previous_totals, attribute))
        change = value - previous
        percent = None if not previous else (change * 100 / previous).quantize(Decimal("0.1"), ROUND_HALF_UP)
        rows.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "id": element_id,
                "value": value,
                "previous": previous,
                "change": change,
                "percent": percent,
            }
        )
    return rows


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if not whole else (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def breakdown_rows(rows: list[selectors.BreakdownRow], total: Decimal, *, empty_label: str) -> list[dict]:
    """Up to ``BREAKDOWN_ROWS`` rows and an "Other" row for the rest, each with its share of the revenue."""
    shown, rest = rows[:BREAKDOWN_ROWS], rows[BREAKDOWN_ROWS:]
    result = [
        {
            "key": row.key,
            "label": row.key or empty_label,
            "number": row.number,
            "amount_with_tax": row.amount_with_tax,
            "share": _share(row.amount_with_tax, total),
        }
        for row in shown
    ]
    if rest:
        amount = sum((row.amount_with_tax for row in rest), Decimal(0))
        result.append(
            {
                "key": None,
                "label": f"Other ({len(rest)})",
                "number": sum((row.number for row in rest), Decimal(0)),
                "amount_with_tax": amount,
                "share": _share(amount, total),
            }
        )
    return result


def currency_rows(dashboard: Dashboard) -> list[dict]:
    total = dashboard.totals.amount_with_tax
    return [
        {
            "key": row.currency,
            "label": row.currency,
            "number": row.number,
            "original_amount_with_tax": row.amount_with_tax,
            "amount_with_tax": row.reference_amount_with_tax,
            "share": _share(row.reference_amount_with_tax, total),
        }
        for row in dashboard.totals.breakdown
    ]


def _day(value: date, *, year: bool = True) -> str:
    return dateformat.format(value, "j M Y" if year else "j M")


def days_text(first: date, last: date) -> str:
    """``3–9 Jun 2025``, ``28 May – 3 Jun 2025``, ``30 Dec 2024 – 5 Jan 2025``, or one day."""
    if first == last:
        return _day(first)
    if first.year != last.year:
        return f"{_day(first)} – {_day(last)}"
    if first.month != last.month:
        return f"{_day(first, year=False)} – {_day(last)}"
    return f"{first.day}–{_day(last)}"


def bucket_label(day: date, interval: str, *, with_year: bool) -> str:
    if interval == "month":
        return dateformat.format(day, "M Y" if with_year else "M")
    return _day(day, year=False)


def _nice_step(top: Decimal, ticks: int) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ step that covers ``top`` with ``ticks`` steps."""
    raw = top / ticks
    magnitude = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10  # pragma: no cover


def revenue_chart(dashboard: Dashboard, numbers: NumberFormat) -> dict:
    """Geometry of the revenue chart: bars for the range, a dashed line for the previous period, y ticks with
    gridlines, x labels, value labels and a tooltip per bucket. Fixed size, scaled to the card's width."""
    currency = dashboard.currency
    current = [row.amount_with_tax for row in dashboard.history]
    previous = [row.amount_with_tax for row in dashboard.previous_history]
    highest = max([*current, *previous, Decimal(0)])
    step = _nice_step(highest, CHART_Y_TICKS) if highest > 0 else Decimal(1)
    top = step * math.ceil(highest / step) if highest > 0 else step * CHART_Y_TICKS
    plot_left, plot_right = CHART_LEFT, CHART_WIDTH - CHART_RIGHT
    plot_top, plot_bottom = CHART_TOP, CHART_HEIGHT - CHART_BOTTOM
    plot_height = plot_bottom - plot_top

    def y(value) -> float:
        return round(plot_bottom - float(Decimal(value) / top) * plot_height, 1)

    tick_decimals = 0 if step == step.to_integral_value() else 2
    ticks = []
    value = Decimal(0)
    while value <= top:
        ticks.append({"y": y(value), "label": numbers.number(value, tick_decimals)})
        value += step

    count = max(len(dashboard.history), 1)
    slot = (plot_right - plot_left) / count
    bar_width = round(min(slot * 0.64, 44), 1)
    label_every = max(1, math.ceil(CHART_LABEL_SPACING / slot))
    years = {row.key.year for row in dashboard.history}
    with_year = dashboard.interval == "month" and len(years) > 1
    vertical_labels = slot < 44
    interval_name = {"day": "Day", "week": "Week", "month": "Month"}[dashboard.interval]
    buckets, line = [], []
    for index, (row, before) in enumerate(zip(dashboard.history, dashboard.previous_history, strict=True)):
        first, last = dashboard.bucket_days(row)
        center = round(plot_left + slot * (index + 0.5), 1)
        bar_top = y(row.amount_with_tax)
        height = round(plot_bottom - bar_top, 1)
        label = numbers.compact(row.amount_with_tax)
        label_length = len(label) * CHART_CHAR_WIDTH
        inside = vertical_labels and height >= label_length + 8
        change = row.amount_with_tax - before.amount_with_tax
        percent = _share(change, before.amount_with_tax)
        tooltip = (
            f"{interval_name} {days_text(first, last)}: {numbers.money(row.amount_with_tax, currency)}, "
            f"{numbers.count(row.number)} conversions, {numbers.count(row.unique_contacts)} unique contacts\n"
            f"Previous period {days_text(before.first, before.last)}: "
            f"{numbers.money(before.amount_with_tax, currency)}, {numbers.count(before.number)} conversions\n"
            f"Change: {numbers.signed(numbers.money(change, currency), change)}"
            + (f" ({numbers.signed(numbers.percent(percent), percent)})" if percent is not None else "")
        )
        buckets.append(
            {
                "key": row.key,
                "slot_x": round(plot_left + slot * index, 1),
                "slot_width": round(slot, 1),
                "x": round(center - bar_width / 2, 1),
                "center": center,
                "y": bar_top,
                "height": height,
                "amount": row.amount_with_tax,
                "value_label": label,
                "value_label_inside": inside,
                # Vertical labels read upwards from just above the bar (or from its top down, inside a tall bar).
                "value_label_y": round(bar_top + 6 if inside else bar_top - 4, 1),
                # A week cut by the range is named by its first day in the range.
                "x_label": bucket_label(first, dashboard.interval, with_year=with_year)
                if index % label_every == 0
                else "",
                "tooltip": tooltip,
                "previous_y": y(before.amount_with_tax),
            }
        )
        line.append(f"{center},{y(before.amount_with_tax)}")
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_left": plot_left,
        "plot_right": plot_right,
        "plot_top": plot_top,
        "plot_bottom": plot_bottom,
        "plot_height": plot_height,
        "tick_label_x": plot_left - 8,
        "ticks": ticks,
        "bar_width": bar_width,
        "buckets": buckets,
        "vertical_labels": vertical_labels,
        "previous_points": " ".join(line),
        "x_label_y": plot_bottom + 18,
        "interval": dashboard.interval,
        "empty": highest == 0,
    }


def preset_links(form: DashboardForm) -> list[dict]:
    """The preset buttons: links keeping the organization and the filters (shown even when the days are wrong)."""
    link = reverse("admin:index")
    period = form.cleaned_data.get("period")
    return [
        {"key": key, "label": label, "active": period == key,
         "link": f"{link}?{urlencode(form.parameters(period=key, date_from=None, date_to=None))}"}
        for key, label in PRESETS
    ]  # fmt: skip


def _format_rows(rows: list[dict], numbers: NumberFormat, currency: str) -> list[dict]:
    for row in rows:
        row["number_text"] = numbers.count(row["number"])
        row["amount_text"] = numbers.money(row["amount_with_tax"], currency)
        row["share_text"] = "" if row["share"] is None else numbers.percent(row["share"])
        row["share_width"] = float(row["share"] or 0)
        if "original_amount_with_tax" in row:
            row["original_amount_text"] = numbers.money(row["original_amount_with_tax"], row["key"])
    return rows


def present(dashboard: Dashboard, form: DashboardForm, numbers: NumberFormat) -> dict:
    """The template's context: formatted figures, the chart, the links of presets, targets and export."""
    currency = dashboard.currency
    kpis = kpi_rows(dashboard)
    for kpi in kpis:
        unit = currency if kpi["kind"] == "money" else ""
        show = numbers.count if kpi["kind"] == "count" else (lambda value, unit=unit: numbers.money(value, unit))
        kpi["value_text"] = show(kpi["value"])
        kpi["previous_text"] = show(kpi["previous"])
        kpi["change_text"] = numbers.signed(show(kpi["change"]), kpi["change"])
        kpi["percent_text"] = (
            "" if kpi["percent"] is None else numbers.signed(numbers.percent(kpi["percent"]), kpi["percent"])
        )
        kpi["trend"] = "up" if kpi["change"] > 0 else "down" if kpi["change"] < 0 else "flat"
    total = dashboard.totals.amount_with_tax
    link = reverse("admin:index")
    targets = []
    for title, name, rows in (
        ("Top campaigns", "campaign", dashboard.campaigns),
        ("Top deliveries", "delivery", dashboard.deliveries),
    ):
        targets.append(
            {
                "title": title,
                "name": name,
                "rows": [
                    {
                        "name": row.name,
                        "number_text": numbers.count(row.number),
                        "amount_text": numbers.money(row.amount_with_tax, currency),
                        "share_width": float(_share(row.amount_with_tax, total) or 0),
                        "link": f"{link}?{urlencode(form.parameters(**{name: str(row.id)}))}",
                    }
                    for row in rows
                ],
            }
        )
    export = (
        reverse("admin:reporting_dashboard")
        + "?"
        + urlencode(
            form.parameters(
                period=CUSTOM,
                date_from=dashboard.query.date_from.isoformat(),
                date_to=dashboard.query.date_to.isoformat(),
                format="csv",
            )
        )
    )
    return {
        "kpis": kpis,
        "chart": revenue_chart(dashboard, numbers),
        "interval_title": {"day": "per day", "week": "per week (weeks start on Monday)", "month": "per month"}[
            dashboard.interval
        ],
        "range_text": days_text(dashboard.query.date_from, dashboard.query.date_to),
        "previous_range_text": days_text(dashboard.previous_query.date_from, dashboard.previous_query.date_to),
        "breakdowns": [
            {
                "title": "By currency",
                "label": "Currency",
                "id": "breakdown",
                "rows": _format_rows(currency_rows(dashboard), numbers, currency),
            },
            {
                "title": "By country",
                "label": "Country",
                "id": "breakdown-country",
                "rows": _format_rows(
                    breakdown_rows(dashboard.countries, total, empty_label="Unknown"), numbers, currency
                ),
            },
            {
                "title": "By origin",
                "label": "Origin",
                "id": "breakdown-origin",
                "rows": _format_rows(breakdown_rows(dashboard.origins, total, empty_label="(none)"), numbers, currency),
            },
        ],  # fmt: skip
        "targets": targets,
        "export_link": export,
    }


# --- The page ---------------------------------------------------------------------------------------------------------


@dataclass
class Page:
    """A validated dashboard request and, when valid, its figures."""

    form: DashboardForm
    dashboard: Dashboard | None = None
    choices: dict = field(default_factory=dict)


def _choices(form: DashboardForm) -> dict:
    """The options of the filter selects: the organization's campaigns, deliveries, currencies and countries (those
    of the shown and the previous period, and whatever is selected)."""
    values = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    organization = values.get("organization")
    if organization is None:
        return {}
    first, last = values.get("date_from"), values.get("date_to")
    found = {"currency": [], "country": []}
    if first and last and first <= last:
        length = last - first + timedelta(days=1)
        found = selectors.report_dimension_values(organization, date_from=first - length, date_to=last)
    for name in ("currency", "country"):
        if values.get(name) and values[name] not in found[name]:
            found[name] = sorted([*found[name], values[name]])
    targets = {}
    for name, model in (("campaign", Campaign), ("delivery", Delivery)):
        rows = model.objects.for_organization(organization).order_by("name").values_list("pk", "name")
        options = list(rows[:TARGET_CHOICES_MAX])
        selected = values.get(name)
        if selected is not None and selected.pk not in {pk for pk, _ in options}:
            options.append((selected.pk, selected.name))
        targets[name] = options
    return {
        "campaigns": targets["campaign"],
        "deliveries": targets["delivery"],
        "currencies": found["currency"],
        "countries": found["country"],
    }


def dashboard_page(request) -> Page:
    form = DashboardForm(request.GET, request=request)
    page = Page(form=form)
    if form.is_valid():
        page.dashboard = build_dashboard(form.query())
    page.choices = _choices(form)
    return page


def dashboard_context(request) -> dict:
    """What the admin home adds to its context: the dashboard, or why there is none."""
    if not organizations_for(request).exists():
        return {"dashboard_unavailable": "You are not a member of any organization yet: ask an administrator."}
    page = dashboard_page(request)
    form = page.form
    values = getattr(form, "cleaned_data", {})
    context = {
        "title": "Dashboard",
        "form": form,
        "dashboard_form": form,
        "filter_choices": page.choices,
        "organizations": list(organizations_for(request).order_by("name")) if not single_organization(request) else [],
        "selected": {
            "organization": str(values["organization"].pk) if values.get("organization") else "",
            "period": values.get("period") or "",
            "date_from": values.get("date_from").isoformat() if values.get("date_from") else "",
            "date_to": values.get("date_to").isoformat() if values.get("date_to") else "",
            "type": values.get("type") or "",
            "status": values.get("status") or Conversion.Status.APPROVED,
            "country": values.get("country") or "",
            "currency": values.get("currency") or "",
            "campaign": str(values["campaign"].pk) if values.get("campaign") else "",
            "delivery": str(values["delivery"].pk) if values.get("delivery") else "",
        },
        "type_choices": [("", "All types"), *Conversion.Type.choices],
        "status_choices": [*Conversion.Status.choices, (ALL_STATUSES, "All statuses")],
        "dashboard_errors": [f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields
                             else " ".join(errors) for name, errors in form.errors.items()],
    }  # fmt: skip
    if values.get("organization") is not None:
        context["presets"] = preset_links(form)
    dashboard = page.dashboard
    if dashboard is not None:
        numbers = NumberFormat.for_request(request)
        context.update(present(dashboard, form, numbers))
        context.update(
            {
                "dashboard": dashboard,
                "organization": dashboard.query.organization,
                "totals": dashboard.totals,
                "history": dashboard.history,
                "days": dashboard.days,
                "top_targets": [
                    ("Top campaigns", [_target_dict(row) for row in dashboard.campaigns]),
                    ("Top deliveries", [_target_dict(row) for row in dashboard.deliveries]),
                ],
            }
        )
    return context


def _target_dict(row: Target) -> dict:
    return {"name": row.name, "number": row.number, "amount_with_tax": row.amount_with_tax}


def dashboard_callback(request, context: dict) -> dict:
    """unfold's ``DASHBOARD_CALLBACK``: the admin home (``admin:index``) is the dashboard."""
    context.update(dashboard_context(request))
    return context


# --- CSV ------------------------------------------------------------------------------------------------------------


def _plain(value) -> str:
    """A number for a spreadsheet: no grouping, a dot, two decimals for money (whole numbers stay whole)."""
    if value is None:
        return ""
    return str(value)


def dashboard_csv(dashboard: Dashboard) -> str:
    """The figures on screen as CSV: blocks separated by an empty line, each starting with its header row."""
    query, previous, currency = dashboard.query, dashboard.previous_query, dashboard.currency
    filters = query.filters
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(["dashboard", "value"])
    for name, value in (
        ("organization", query.organization.name),
        ("date_from", query.date_from.isoformat()),
        ("date_to", query.date_to.isoformat()),
        ("days", dashboard.days),
        ("previous_date_from", previous.date_from.isoformat()),
        ("previous_date_to", previous.date_to.isoformat()),
        ("currency", currency),
        ("type", ",".join(filters.types)),
        ("status", ",".join(filters.statuses) or ALL_STATUSES),
        ("country", ",".join(filters.countries)),
        ("currency_filter", ",".join(filters.currencies)),
        ("campaign_id", filters.campaign_id or ""),
        ("delivery_id", filters.delivery_id or ""),
    ):
        out.writerow([name, value])
    out.writerow([])
    out.writerow(["kpi", "label", "value", "previous", "change", "change_percent", "unit"])
    for kpi in kpi_rows(dashboard):
        unit = currency if kpi["kind"] == "money" else ""
        out.writerow(
            [kpi["key"], kpi["label"], _plain(kpi["value"]), _plain(kpi["previous"]), _plain(kpi["change"]),
             _plain(kpi["percent"]), unit]
        )  # fmt: skip
    out.writerow([])
    out.writerow(
        ["bucket", "interval", "first_day", "last_day", "revenue_with_tax", "conversions", "unique_contacts",
         "previous_first_day", "previous_last_day", "previous_revenue_with_tax", "previous_conversions"]
    )  # fmt: skip
    for row, before in zip(dashboard.history, dashboard.previous_history, strict=True):
        first, last = dashboard.bucket_days(row)
        out.writerow(
            [row.key.isoformat(), dashboard.interval, first.isoformat(), last.isoformat(),
             _plain(row.amount_with_tax), _plain(row.number), row.unique_contacts, before.first.isoformat(),
             before.last.isoformat(), _plain(before.amount_with_tax), _plain(before.number)]
        )  # fmt: skip
    total = dashboard.totals.amount_with_tax
    for dimension, rows in (
        ("currency", currency_rows(dashboard)),
        ("country", breakdown_rows(dashboard.countries, total, empty_label="Unknown")),
        ("origin", breakdown_rows(dashboard.origins, total, empty_label="(none)")),
    ):
        out.writerow([])
        header = [f"by_{dimension}", "conversions", f"revenue_with_tax_{currency}", "share_percent"]
        out.writerow([*header, "revenue_with_tax_original"] if dimension == "currency" else header)
        for row in rows:
            line = [row["label"], _plain(row["number"]), _plain(row["amount_with_tax"]), _plain(row["share"])]
            out.writerow([*line, _plain(row["original_amount_with_tax"])] if dimension == "currency" else line)
    for name, rows in (("campaign", dashboard.campaigns), ("delivery", dashboard.deliveries)):
        out.writerow([])
        out.writerow([f"top_{name}", "id", "credited_conversions", f"credited_revenue_with_tax_{currency}"])
        for row in rows:
            out.writerow([row.name, row.id, _plain(row.number), _plain(row.amount_with_tax)])
    return buffer.getvalue()


def csv_response(request) -> HttpResponse:
    """``?format=csv``: the dashboard of these parameters as a CSV download (a 400 with the errors if invalid)."""
    if not organizations_for(request).exists():
        return HttpResponse("Not a member of any organization.", status=403, content_type="text/plain")
    form = DashboardForm(request.GET, request=request)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    dashboard = build_dashboard(form.query())
    query = dashboard.query
    name = f"dashboard-{slugify(query.organization.name)}-{query.date_from}-{query.date_to}.csv"
    response = HttpResponse(dashboard_csv(dashboard), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


__all__ = [
    "DASHBOARD_MAX_DAYS",
    "Dashboard",
    "DashboardForm",
    "NumberFormat",
    "build_dashboard",
    "csv_response",
    "dashboard_callback",
    "dashboard_csv",
    "preset_range",
]
