"""What a person reads: KPI changes, breakdown shares, the chart's geometry, formatted numbers."""

import math
import textwrap
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import dateformat

from accounts.models import AttributionModel

from .. import selectors
from ..comparison import ComparisonFigures, ComparisonRow
from .figures import Dashboard
from .form import (
    BREAKDOWN_ROWS,
    CHART_BOTTOM,
    CHART_CHAR_WIDTH,
    CHART_HEIGHT,
    CHART_LABEL_SPACING,
    CHART_LEFT,
    CHART_RIGHT,
    CHART_TOP,
    CHART_WIDTH,
    CHART_Y_TICKS,
    CUSTOM,
    MODEL_COLOURS,
    MODELS_CHART_BAR_GAP,
    MODELS_CHART_BAR_HEIGHT,
    MODELS_CHART_BOTTOM,
    MODELS_CHART_CAMPAIGNS,
    MODELS_CHART_GROUP_GAP,
    MODELS_CHART_LABEL_WIDTH,
    MODELS_CHART_NAME_CHARACTERS,
    MODELS_CHART_NAME_LINE_HEIGHT,
    MODELS_CHART_NAME_LINES,
    MODELS_CHART_TOP,
    MODELS_CHART_VALUE_WIDTH,
    MODELS_CHART_WIDTH,
    PRESETS,
    DashboardForm,
    NumberFormat,
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
    # Gross (above), refunded and net: what the refund ledgers of these conversions gave back (issue 13).
    ("refunded", "Refunded (with tax)", "refunded_amount_with_tax", "money", "total-refunded"),
    ("net_revenue", "Net revenue (with tax)", "net_amount_with_tax", "money", "total-net"),
    ("refund_rate", "Refund rate", "refund_rate", "percent", "total-refund-rate"),
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


# --- The attribution models compared ------------------------------------------------------------------------------

EQUAL_TOTALS_NOTE = "Every model credits the same total; they differ in who gets it."


def _model_label(model: str) -> str:
    return AttributionModel(model).label


def _scope(dashboard: Dashboard) -> tuple[str, list[ComparisonRow]]:
    """Whose credit the section shows: every campaign, or only the campaign (delivery) the dashboard is filtered to
    (the comparison's rows are the campaigns and deliveries themselves, it has no campaign filter of its own)."""
    compared, filters = dashboard.comparison, dashboard.query.filters
    if filters.delivery_id is not None:
        return "delivery", [row for row in compared.deliveries if str(row.target_id) == str(filters.delivery_id)]
    if filters.campaign_id is not None:
        return "campaign", [row for row in compared.campaigns if str(row.target_id) == str(filters.campaign_id)]
    return "all", compared.campaigns


def model_rows(dashboard: Dashboard) -> list[dict]:
    """One row per model: its credited conversions and reference revenue over the range (or given to the chosen
    campaign or delivery), in the models' declaration order."""
    compared = dashboard.comparison
    scope, rows = _scope(dashboard)
    result = []
    chosen = rows[0].by_model if rows else {}
    for model in compared.models:
        figures = compared.totals[model] if scope == "all" else chosen.get(model, ComparisonFigures())
        result.append(
            {
                "model": model,
                "label": _model_label(model),
                "colour": MODEL_COLOURS[model],
                "number": figures.number,
                "amount_with_tax": figures.amount_with_tax,
            }
        )
    return result


def _name_lines(name: str) -> list[str]:
    """A campaign name on up to ``MODELS_CHART_NAME_LINES`` lines (names often share a long prefix, so cutting
    them to one line would make them look alike)."""
    return textwrap.wrap(
        name, MODELS_CHART_NAME_CHARACTERS, max_lines=MODELS_CHART_NAME_LINES, placeholder=" …", break_long_words=True
    ) or [name]


def credit_by_model_chart(dashboard: Dashboard, numbers: NumberFormat) -> dict:
    """Geometry of the "Credit by model" chart: for the top campaigns (by their highest credited revenue under any
    model, as the comparison orders them), one horizontal bar per model on a shared revenue axis, each with its
    value at its end and a tooltip. Fixed width, scaled to the card's width; the height grows with the groups."""
    currency = dashboard.currency
    models = dashboard.comparison.models
    _, rows = _scope(dashboard)
    rows = rows[:MODELS_CHART_CAMPAIGNS]
    highest = max([figures.amount_with_tax for row in rows for figures in row.by_model.values()] + [Decimal(0)])
    step = _nice_step(highest, 4) if highest > 0 else Decimal(1)
    top = step * math.ceil(highest / step) if highest > 0 else step * 4
    plot_left = MODELS_CHART_LABEL_WIDTH
    plot_right = MODELS_CHART_WIDTH - MODELS_CHART_VALUE_WIDTH
    plot_width = plot_right - plot_left

    def x(value) -> float:
        return round(plot_left + float(Decimal(value) / top) * plot_width, 1)

    group_height = len(models) * MODELS_CHART_BAR_HEIGHT + (len(models) - 1) * MODELS_CHART_BAR_GAP
    groups = []
    y = MODELS_CHART_TOP + MODELS_CHART_GROUP_GAP / 2
    for row in rows:
        name = row.name or "(deleted)"
        bars = []
        for index, model in enumerate(models):
            figures = row.by_model[model]
            bar_y = round(y + index * (MODELS_CHART_BAR_HEIGHT + MODELS_CHART_BAR_GAP), 1)
            end = x(figures.amount_with_tax)
            bars.append(
                {
                    "model": model,
                    "colour": MODEL_COLOURS[model],
                    "x": plot_left,
                    "y": bar_y,
                    "width": round(max(end - plot_left, 0), 1),
                    "height": MODELS_CHART_BAR_HEIGHT,
                    "amount": figures.amount_with_tax,
                    "value_label": numbers.compact(figures.amount_with_tax),
                    "value_x": round(end + 4, 1),
                    "value_y": round(bar_y + MODELS_CHART_BAR_HEIGHT / 2, 1),
                    "tooltip": f"{name}, {_model_label(model)}: {numbers.money(figures.amount_with_tax, currency)}, "
                    f"{numbers.count(figures.number)} credited conversions",
                }
            )
        lines = _name_lines(name)
        first_line_y = y + group_height / 2 - (len(lines) - 1) * MODELS_CHART_NAME_LINE_HEIGHT / 2
        groups.append(
            {
                "id": row.target_id,
                "name": name,
                "lines": [
                    {"text": line, "y": round(first_line_y + index * MODELS_CHART_NAME_LINE_HEIGHT, 1)}
                    for index, line in enumerate(lines)
                ],
                "y": round(y - MODELS_CHART_GROUP_GAP / 2, 1),
                "height": group_height + MODELS_CHART_GROUP_GAP,
                "bars": bars,
            }
        )
        y += group_height + MODELS_CHART_GROUP_GAP
    plot_bottom = round(y - MODELS_CHART_GROUP_GAP / 2, 1)
    tick_decimals = 0 if step == step.to_integral_value() else 2
    ticks, value = [], Decimal(0)
    while value <= top:
        ticks.append({"x": x(value), "label": numbers.number(value, tick_decimals)})
        value += step
    return {
        "width": MODELS_CHART_WIDTH,
        "height": round(plot_bottom + MODELS_CHART_BOTTOM, 1),
        "plot_left": plot_left,
        "plot_right": plot_right,
        "plot_top": MODELS_CHART_TOP,
        "plot_bottom": plot_bottom,
        "label_x": plot_left - 10,
        "tick_label_y": plot_bottom + 16,
        "ticks": ticks,
        "groups": groups,
        "legend": [{"model": model, "label": _model_label(model), "colour": MODEL_COLOURS[model]} for model in models],
        "empty": not groups,
    }


def models_compared(dashboard: Dashboard, numbers: NumberFormat) -> dict:
    """The "Attribution models compared" section: the table, its notes and the chart."""
    compared, currency = dashboard.comparison, dashboard.currency
    scope, rows = _scope(dashboard)
    table = model_rows(dashboard)
    for row in table:
        row["number_text"] = numbers.count(row["number"])
        row["amount_text"] = numbers.money(row["amount_with_tax"], currency)
    uncredited = compared.uncredited
    any_credit = any(row["number"] or row["amount_with_tax"] for row in table)
    return {
        "rows": table,
        "scope": scope,
        "scope_name": (rows[0].name if rows else "") if scope != "all" else "",
        "totals_equal": scope == "all" and compared.totals_equal and any_credit,
        "equal_note": EQUAL_TOTALS_NOTE,
        "uncredited_number_text": numbers.count(uncredited.number),
        "uncredited_amount_text": numbers.money(uncredited.amount_with_tax, currency),
        "uncredited": scope == "all" and bool(uncredited.number or uncredited.amount_with_tax),
        "empty": not any_credit,
        "chart": credit_by_model_chart(dashboard, numbers),
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
        if kpi["kind"] == "percent":
            show = numbers.percent
        else:
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
        "models_compared": models_compared(dashboard, numbers),
        "export_link": export,
    }
