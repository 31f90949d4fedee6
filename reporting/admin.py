"""Admin of the reporting state (read-only) and the reporting dashboard page.

Rollups and marks are derived data: staff may look at them (scoped); nobody edits or deletes them, except as the
cascade of deleting what they derive from (a campaign, a delivery, an organization). The dashboard reads
``reporting.selectors``, the same exact reads as reporting v1, so the admin never has an aggregation of its own.
"""

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from conversions.models import Campaign, Delivery, RollupMark
from core.admin.filters import OrganizationFilter
from core.admin.mixins import DerivedRowsAdmin
from core.admin.scoping import organizations_for, single_organization

from . import selectors
from .models import ConversionRollup, CreditRollup

DASHBOARD_MAX_DAYS = 366
DASHBOARD_TOP_TARGETS = 10
CHART_HEIGHT_PIXELS = 160
CHART_BAR_PITCH_PIXELS = 12


class ReadOnlyTenantAdmin(DerivedRowsAdmin):
    list_filter = (OrganizationFilter, "day")
    date_hierarchy = "day"


@admin.register(RollupMark)
class RollupMarkAdmin(ReadOnlyTenantAdmin):
    list_display = ("organization", "day", "created_at")
    list_select_related = ("organization",)


# --- Dashboard ------------------------------------------------------------------------------------------------------


class DashboardForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=None, required=True)
    date_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations_for(request)
        if single_organization(request) is not None:
            self.fields["organization"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if first > last:
                self.add_error("date_to", "Must not be before the start date.")
            elif (last - first).days + 1 > DASHBOARD_MAX_DAYS:
                self.add_error("date_to", f"At most {DASHBOARD_MAX_DAYS} days at once.")
        return cleaned


def _chart(history) -> list[dict]:
    """Bar heights for the daily revenue chart (server-side SVG: no JavaScript, no CDN)."""
    highest = max((row.amount_with_tax for row in history), default=0) or 1
    bars = []
    for index, row in enumerate(history):
        height = int(row.amount_with_tax * CHART_HEIGHT_PIXELS / highest)
        bars.append(
            {
                "day": row.key,
                "amount": row.amount_with_tax,
                "number": row.number,
                "x": index * CHART_BAR_PITCH_PIXELS,
                "y": CHART_HEIGHT_PIXELS - height,
                "height": height,
            }
        )
    return bars


@admin.register(ConversionRollup)
class ConversionRollupAdmin(ReadOnlyTenantAdmin):
    """Also hosts the dashboard page: ``/admin/reporting/conversionrollup/dashboard/``."""

    list_display = ("organization", "day", "currency", "country", "type", "status", "conversions_number", "revenue")
    list_select_related = ("organization",)

    def get_urls(self):
        dashboard = path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="reporting_dashboard")
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request):
        if not (request.user.is_superuser or self.is_member(request)):
            raise PermissionDenied
        data = request.GET if "date_from" in request.GET else None
        initial = self._initial(request)
        form = DashboardForm(data, request=request, initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "title": "Reporting dashboard",
            "opts": self.model._meta,
            "form": form,
            "chart_height": CHART_HEIGHT_PIXELS,
        }
        if data is None or form.is_valid():
            values = form.cleaned_data if data is not None else initial
            if values.get("organization") is not None:
                context.update(self._report(values))
        return TemplateResponse(request, "admin/reporting/dashboard.html", context)

    def _initial(self, request) -> dict:
        organization = single_organization(request) or organizations_for(request).first()
        if organization is None:
            return {}
        first, last = selectors.report_default_range(organization)
        return {"organization": organization, "date_from": first, "date_to": last}

    def _report(self, values) -> dict:
        organization: object = values["organization"]
        first: date = values["date_from"]
        last: date = values["date_to"]
        query = selectors.ReportQuery(organization=organization, date_from=first, date_to=last)
        history = selectors.conversions_history(query, interval="day")
        report = {
            "organization": organization,
            "totals": selectors.conversions_totals(query),
            "history": history,
            "chart": _chart(history),
            "chart_width": max(len(history), 1) * CHART_BAR_PITCH_PIXELS,
            "days": (last - first).days + 1,
            "top_targets": [
                ("Top campaigns", self._top(query, "campaign", Campaign)),
                ("Top deliveries", self._top(query, "delivery", Delivery)),
            ],
        }
        return report

    def _top(self, query, target, model) -> list[dict]:
        rows = selectors.conversions_top_targets(query, target=target, limit=DASHBOARD_TOP_TARGETS)
        names = dict(
            model.objects.for_organization(query.organization)
            .filter(pk__in=[row.key for row in rows])
            .values_list("pk", "name")
        )
        return [
            {"name": names.get(row.key, "(deleted)"), "number": row.number, "amount_with_tax": row.amount_with_tax}
            for row in rows
        ]


@admin.register(CreditRollup)
class CreditRollupAdmin(ReadOnlyTenantAdmin):
    list_display = (
        "organization",
        "day",
        "campaign",
        "delivery",
        "currency",
        "status",
        "conversions_number",
        "revenue",
    )
    list_select_related = ("organization", "campaign", "delivery")


from . import target_admin  # noqa: E402, F401 - campaign and delivery lists with their credit (registers them)
