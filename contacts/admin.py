"""Admin of contacts: scoped, written through ``contacts.services``, with history and CSV import/export."""

from django.contrib import admin

from core.admin.filters import CappedCountPaginator, OrganizationFilter, recent_values_filter
from core.admin.mixins import TenantHistoryAdmin, register_history_log
from core.import_export import TenantImportExportMixin
from core.services import ServiceSet

from .models import Contact
from .resources import ContactResource
from .services import contact_create, contact_delete, contact_update


@admin.register(Contact)
class ContactAdmin(TenantImportExportMixin, TenantHistoryAdmin):
    resource_classes = [ContactResource]
    list_display = ("email", "client_contact_id", "first_name", "surname", "country", "language", "created_at")
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

    @admin.action(description="Export selected contacts as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv_response(queryset, "contacts.csv")


register_history_log(Contact)
