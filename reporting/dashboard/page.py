"""The page (unfold's ``DASHBOARD_CALLBACK`` and the dashboard URL) and its CSV export."""

import csv
import io
from dataclasses import dataclass, field
from datetime import timedelta

from django.http import HttpResponse
from django.utils.text import slugify

from conversions.models import Campaign, Conversion, Delivery
from core.admin.scoping import organizations_for, single_organization

from .. import selectors
from .figures import Dashboard, Target, build_dashboard
from .form import ALL_STATUSES, TARGET_CHOICES_MAX, DashboardForm, NumberFormat
from .presentation import breakdown_rows, currency_rows, kpi_rows, present, preset_links

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
