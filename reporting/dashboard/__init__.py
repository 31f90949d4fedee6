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

from .. import selectors  # the one aggregation path every figure reads
from .figures import Dashboard, Target, bucket_days, build_dashboard
from .form import (
    ALL_STATUSES,
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
    DASHBOARD_MAX_DAYS,
    DASHBOARD_TOP_TARGETS,
    DAY_BUCKETS_MAX_DAYS,
    DEFAULT_PRESET,
    PRESETS,
    TARGET_CHOICES_MAX,
    WEEK_BUCKETS_MAX_DAYS,
    DashboardForm,
    NumberFormat,
    bucket_interval,
    preset_range,
)
from .page import Page, csv_response, dashboard_callback, dashboard_context, dashboard_csv, dashboard_page
from .presentation import (
    KPIS,
    breakdown_rows,
    bucket_label,
    currency_rows,
    days_text,
    kpi_rows,
    present,
    preset_links,
    revenue_chart,
)

__all__ = [
    "selectors",
    "ALL_STATUSES",
    "BREAKDOWN_ROWS",
    "CHART_BOTTOM",
    "CHART_CHAR_WIDTH",
    "CHART_HEIGHT",
    "CHART_LABEL_SPACING",
    "CHART_LEFT",
    "CHART_RIGHT",
    "CHART_TOP",
    "CHART_WIDTH",
    "CHART_Y_TICKS",
    "CUSTOM",
    "DASHBOARD_MAX_DAYS",
    "DASHBOARD_TOP_TARGETS",
    "DAY_BUCKETS_MAX_DAYS",
    "DEFAULT_PRESET",
    "Dashboard",
    "DashboardForm",
    "KPIS",
    "NumberFormat",
    "PRESETS",
    "Page",
    "TARGET_CHOICES_MAX",
    "Target",
    "WEEK_BUCKETS_MAX_DAYS",
    "breakdown_rows",
    "bucket_days",
    "bucket_interval",
    "bucket_label",
    "build_dashboard",
    "csv_response",
    "currency_rows",
    "dashboard_callback",
    "dashboard_context",
    "dashboard_csv",
    "dashboard_page",
    "days_text",
    "kpi_rows",
    "present",
    "preset_links",
    "preset_range",
    "revenue_chart",
]
