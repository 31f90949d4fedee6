"""Admin of contacts: scoped, written through ``contacts.services``, with history and CSV import/export."""

from django.contrib import admin

from core.admin.display import EMPTY, HistoryDisplayMixin, local_time_cell, truncated
from core.admin.filters import CappedCountPaginator, OrganizationFilter, recent_values_filter
from core.admin.mixins import TenantHistoryAdmin, register_history_log
from core.import_export import TenantImportExportMixin
from core.services import ServiceSet

from .models import Contact
from .resources import ContactResource
from .services import contact_create, contact_delete, contact_update


@admin.register(Contact)
class ContactAdmin(HistoryDisplayMixin, TenantImportExportMixin, TenantHistoryAdmin):
    resource_classes = [ContactResource]
    list_display = (
        "short_email", "short_client_contact_id", "short_first_name", "short_surname", "country", "language",
        "created_local",
    )  # fmt: skip
    list_select_related = ("organization",)
    empty_value_display = EMPTY
    list_filter = (recent_values_filter("country"), recent_values_filter("language"), OrganizationFilter, "created_at")
    search_fields = ("email", "client_contact_id", "first_name", "surname")
    fields = ("organization", "email", "client_contact_id", "first_name", "surname", "country", "language")
    readonly_fields = ("id", "created_at", "updated_at")
    paginator = CappedCountPaginator
    ordering = ("-created_at",)
    actions = ("export_selected_csv",)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [*fields, "id", "created_at", "updated_at"] if obj is not None else fields

    services = ServiceSet(create=contact_create, update=contact_update, delete=contact_delete)

    # List columns: long values cut with the full value on hover, times in the organization's zone.

    @admin.display(description="e-mail", ordering="email")
    def short_email(self, obj):
        return truncated(obj.email)

    @admin.display(description="client contact id", ordering="client_contact_id")
    def short_client_contact_id(self, obj):
        return truncated(obj.client_contact_id)

    @admin.display(description="first name", ordering="first_name")
    def short_first_name(self, obj):
        return truncated(obj.first_name)

    @admin.display(description="surname", ordering="surname")
    def short_surname(self, obj):
        return truncated(obj.surname)

    @admin.display(description="created at", ordering="created_at")
    def created_local(self, obj):
        return local_time_cell(obj.created_at, obj.organization.zone)

    @admin.action(description="Export selected contacts as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv_response(queryset, "contacts.csv")


register_history_log(Contact)
