"""Admin of the reporting state (read-only) and the reporting dashboard's own URL.

Rollups and marks are derived data: staff may look at them (scoped); nobody edits or deletes them, except as the
cascade of deleting what they derive from (a campaign, a delivery, an organization). The dashboard itself is the
admin home (``reporting.dashboard``, unfold's ``DASHBOARD_CALLBACK``); it reads ``reporting.selectors``, the same
exact reads as reporting v1, so the admin never has an aggregation of its own.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path

from conversions.models import RollupMark
from core.admin.filters import OrganizationFilter
from core.admin.mixins import DerivedRowsAdmin

from .dashboard import DASHBOARD_MAX_DAYS as DASHBOARD_MAX_DAYS  # re-exported
from .dashboard import csv_response
from .models import ConversionRollup, CreditRollup


class ReadOnlyTenantAdmin(DerivedRowsAdmin):
    list_filter = (OrganizationFilter, "day")
    date_hierarchy = "day"


@admin.register(RollupMark)
class RollupMarkAdmin(ReadOnlyTenantAdmin):
    list_display = ("organization", "day", "created_at")
    list_select_related = ("organization",)


# --- Dashboard ------------------------------------------------------------------------------------------------------


@admin.register(ConversionRollup)
class ConversionRollupAdmin(ReadOnlyTenantAdmin):
    """Also hosts ``admin:reporting_dashboard`` (``/admin/reporting/conversionrollup/dashboard/``): the same page
    as the admin home (``reporting.dashboard``), and with ``format=csv`` its CSV export."""

    list_display = ("organization", "day", "currency", "country", "type", "status", "conversions_number", "revenue")
    list_select_related = ("organization",)

    def get_urls(self):
        dashboard = path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="reporting_dashboard")
        return [dashboard, *super().get_urls()]

    def dashboard_view(self, request):
        if not (request.user.is_superuser or self.is_member(request)):
            raise PermissionDenied
        if request.GET.get("format") == "csv":
            return csv_response(request)
        return self.admin_site.index(request)


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
