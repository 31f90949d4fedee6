"""Ranges, presets, locale number formats and the dashboard's filter form."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils import formats, numberformat, timezone, translation

from conversions.models import Conversion
from core.admin.scoping import organizations_for, single_organization
from core.validators import validate_country, validate_currency

from .. import selectors
from ..aggregation import Filters

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

# The "Credit by model" chart: grouped horizontal bars, one group per campaign, one bar per model.
MODELS_CHART_CAMPAIGNS = 8  # the top campaigns by their highest credited revenue under any model
MODELS_CHART_WIDTH = 880
MODELS_CHART_LABEL_WIDTH = 230  # the campaign names, left of the bars
MODELS_CHART_VALUE_WIDTH = 64  # room right of the longest bar for its value label
MODELS_CHART_BAR_HEIGHT = 11
MODELS_CHART_BAR_GAP = 2
MODELS_CHART_GROUP_GAP = 16
MODELS_CHART_TOP = 8
MODELS_CHART_BOTTOM = 26  # room for the x tick labels
MODELS_CHART_NAME_CHARACTERS = 32  # per line of a campaign name (12 px text in the label column)
MODELS_CHART_NAME_LINES = 3  # longer names end with an ellipsis (the full name is in the tooltips)
MODELS_CHART_NAME_LINE_HEIGHT = 14
# One colour per attribution model (Okabe–Ito: told apart with the common colour-vision deficiencies).
MODEL_COLOURS = {
    "last_touch": "#0072B2",
    "first_touch": "#E69F00",
    "linear": "#009E73",
    "time_decay": "#CC79A7",
    "position_based": "#D55E00",
}


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
