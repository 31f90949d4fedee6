"""Admin of campaigns, deliveries, touchpoints, conversions and exchange rates.

Everything is scoped and written through ``conversions.services`` by ``core.admin.mixins``; this module only
declares screens, the conversion actions and the read-only computed fields.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, AttributionModel
from core.admin.filters import CappedCountPaginator, OrganizationFilter, TenantRelatedFilter, recent_values_filter
from core.admin.mixins import (
    DerivedRowsAdmin,
    ReadOnlyInline,
    ServiceAdminMixin,
    TenantHistoryAdmin,
    register_history_log,
)
from core.exceptions import ConflictError
from core.import_export import TenantImportExportMixin
from core.services import ServiceSet

from .models import Attribution, Campaign, Conversion, Delivery, ExchangeRate, Touchpoint
from .resources import ConversionResource
from .services import (
    campaign_create,
    campaign_delete,
    campaign_update,
    conversion_create,
    conversion_delete,
    conversion_update,
    conversions_reattribute_requested,
    conversions_set_status,
    delivery_create,
    delivery_delete,
    delivery_update,
    exchange_rate_delete,
    exchange_rate_set,
    exchange_rate_update,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_update,
)

# --- Filters --------------------------------------------------------------------------------------------------------


class CampaignFilter(TenantRelatedFilter):
    title = "campaign"
    parameter_name = "campaign"
    related_model = Campaign


class DeliveryFilter(TenantRelatedFilter):
    title = "delivery"
    parameter_name = "delivery"
    related_model = Delivery


class CreditedCampaignFilter(CampaignFilter):
    """Conversions credited to a campaign, explicitly or by attribution (as in the API's ``campaign_id``)."""

    def filter_by(self, queryset, value):
        return queryset.filter(pk__in=Attribution.objects.filter(campaign_id=value).values("conversion_id"))


class CreditedDeliveryFilter(DeliveryFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(pk__in=Attribution.objects.filter(delivery_id=value).values("conversion_id"))


# --- Campaigns, deliveries, touchpoints -----------------------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(TenantHistoryAdmin):
    list_display = ("name", "status", "language", "sent_at", "created_at")
    list_filter = ("status", "language", OrganizationFilter, "sent_at")
    search_fields = ("name",)
    fields = ("organization", "name", "status", "language", "sent_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    services = ServiceSet(create=campaign_create, update=campaign_update, delete=campaign_delete)


@admin.register(Delivery)
class DeliveryAdmin(TenantHistoryAdmin):
    list_display = ("name", "kind", "campaign", "language", "created_at")
    list_filter = ("kind", CampaignFilter, "language", OrganizationFilter)
    search_fields = ("name",)
    fields = ("organization", "name", "kind", "campaign", "language")
    autocomplete_fields = ("campaign",)
    list_select_related = ("campaign",)
    ordering = ("-created_at",)

    services = ServiceSet(create=delivery_create, update=delivery_update, delete=delivery_delete)


@admin.register(Touchpoint)
class TouchpointAdmin(ServiceAdminMixin, ModelAdmin):
    list_display = ("occurred_at", "kind", "contact", "campaign", "delivery")
    list_filter = ("kind", CampaignFilter, DeliveryFilter, OrganizationFilter, "occurred_at")
    search_fields = ("contact__email",)
    fields = ("organization", "contact", "kind", "campaign", "delivery", "occurred_at")
    autocomplete_fields = ("contact", "campaign", "delivery")
    list_select_related = ("contact", "campaign", "delivery")
    date_hierarchy = "occurred_at"
    paginator = CappedCountPaginator

    services = ServiceSet(create=touchpoint_create, update=touchpoint_update, delete=touchpoint_delete)


# --- Conversions ----------------------------------------------------------------------------------------------------


class ConversionAdminForm(forms.ModelForm):
    """Fields a service fills in when left empty are optional here, so the service's default applies."""

    currency = forms.CharField(
        required=False, max_length=3, help_text="ISO 4217. Empty: the organization's reference currency."
    )
    revenue_without_tax = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, help_text="Empty: equal to revenue."
    )
    attribution_model = forms.ChoiceField(
        required=False,
        choices=[("", "Organization default"), *AttributionModel.choices],
    )
    attribution_window = forms.IntegerField(
        required=False, help_text=f"Days, {ATTRIBUTION_WINDOW_MIN_DAYS}..{ATTRIBUTION_WINDOW_MAX_DAYS}. "
        "Empty: the organization's default.",
    )  # fmt: skip

    class Meta:
        model = Conversion
        fields = (
            "organization", "converted_at", "contact", "type", "status", "count", "order_id", "revenue",
            "revenue_without_tax", "payout", "currency", "campaign", "delivery", "attribution_model",
            "attribution_window", "origin", "country", "coupon_code", "notes", "metadata",
        )  # fmt: skip


class AttributionInline(ReadOnlyInline):
    model = Attribution
    fields = (
        "campaign", "delivery", "weight", "revenue", "revenue_without_tax", "reference_revenue",
        "reference_revenue_without_tax",
    )  # fmt: skip
    verbose_name_plural = "attributions (computed)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "delivery")


@admin.register(Conversion)
class ConversionAdmin(TenantImportExportMixin, TenantHistoryAdmin):
    form = ConversionAdminForm
    resource_classes = [ConversionResource]
    list_display = (
        "converted_local", "contact", "type", "status", "amount", "reference_amount", "credit", "order_id",
    )  # fmt: skip
    list_display_links = ("converted_local",)
    list_filter = (
        "type", "status", recent_values_filter("currency", ordering="-converted_at"),
        recent_values_filter("country", ordering="-converted_at"), CreditedCampaignFilter, CreditedDeliveryFilter,
        OrganizationFilter, "converted_at",
    )  # fmt: skip
    search_fields = ("order_id", "contact__email", "coupon_code")
    search_help_text = "Order id, contact e-mail or coupon code."
    date_hierarchy = "converted_at"
    autocomplete_fields = ("contact", "campaign", "delivery")
    list_select_related = ("organization", "contact")
    paginator = CappedCountPaginator
    inlines = (AttributionInline,)
    blank_means_default = ("currency", "attribution_model", "attribution_window", "metadata")
    conflict_field = "order_id"
    fieldsets = (
        (None, {"fields": ("organization", "converted_at", "contact", "type", "status", "count", "order_id")}),
        ("Money", {"fields": ("revenue", "revenue_without_tax", "payout", "currency")}),
        ("Attribution", {"fields": ("campaign", "delivery", "attribution_model", "attribution_window")}),
        ("Details", {"fields": ("origin", "country", "coupon_code", "notes", "metadata")}),
    )
    computed_fieldset = (
        "Computed",
        {
            "fields": (
                "converted_date", "reference_currency", "reference_revenue", "reference_revenue_without_tax",
                "reference_rate", "id", "created_at", "updated_at",
            )
        },
    )  # fmt: skip
    readonly_fields = computed_fieldset[1]["fields"]
    actions = ("approve", "reject", "refund", "reattribute", "export_selected_csv")

    def get_queryset(self, request):
        credit = Attribution.objects.select_related("campaign", "delivery")
        return super().get_queryset(request).prefetch_related(Prefetch("attributions", queryset=credit))

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in self.fieldsets]
        if obj is not None:
            fieldsets.append(self.computed_fieldset)
        elif not self.organization_choice_needed(request):
            fieldsets[0][1]["fields"] = tuple(name for name in fieldsets[0][1]["fields"] if name != "organization")
        return fieldsets

    # List columns

    @admin.display(description="converted at (organization time)", ordering="converted_at")
    def converted_local(self, obj):
        local = timezone.localtime(obj.converted_at, obj.organization.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"

    @admin.display(description="amount", ordering="revenue")
    def amount(self, obj):
        return f"{obj.revenue} {obj.currency}"

    @admin.display(description="reference amount", ordering="reference_revenue")
    def reference_amount(self, obj):
        if obj.reference_revenue is None:
            return "— (no rate yet)"
        return f"{obj.reference_revenue} {obj.reference_currency}"

    @admin.display(description="credit")
    def credit(self, obj):
        rows = [
            (attribution.delivery or attribution.campaign, f"{attribution.weight * 100:.0f}%")
            for attribution in obj.attributions.all()
        ]
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} ({})</li>", rows))

    # Services

    services = ServiceSet(create=conversion_create, update=conversion_update, delete=conversion_delete)

    def create_through_service(self, request, *, organization, fields):
        conversion, created = self.services.create(organization=organization, **fields)
        if not created:
            # The service recognised a repeat of a stored order (the API answers it as a replay): in a form that
            # is a mistake to show, not a silent no-op.
            raise ConflictError(f"A conversion with order_id '{conversion.order_id}' already exists.")
        return conversion

    # Actions

    def _set_status(self, request, queryset, status):
        changed = conversions_set_status(conversions=queryset, status=status)
        self.message_user(request, f"{changed} conversion(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Mark selected conversions approved", permissions=["change"])
    def approve(self, request, queryset):
        self._set_status(request, queryset, Conversion.Status.APPROVED)

    @admin.action(description="Mark selected conversions rejected", permissions=["change"])
    def reject(self, request, queryset):
        self._set_status(request, queryset, Conversion.Status.REJECTED)

    @admin.action(description="Mark selected conversions refunded", permissions=["change"])
    def refund(self, request, queryset):
        self._set_status(request, queryset, Conversion.Status.REFUNDED)

    @admin.action(description="Re-attribute selected conversions", permissions=["change"])
    def reattribute(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        count, in_background = conversions_reattribute_requested(conversion_ids=ids)
        if in_background:
            self.message_user(
                request, f"{count} conversions are being re-attributed in the background.", messages.SUCCESS
            )
        else:
            self.message_user(request, f"{count} conversion(s) re-attributed.", messages.SUCCESS)

    @admin.action(description="Export selected conversions as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv_response(queryset.select_related("contact"), "conversions.csv")


@admin.register(Attribution)
class AttributionAdmin(DerivedRowsAdmin):
    """Credit rows, computed by the services: to look up who got credit for what, across conversions."""

    list_display = ("conversion", "campaign", "delivery", "weight", "revenue", "reference_revenue", "created_at")
    list_filter = (CampaignFilter, DeliveryFilter, OrganizationFilter)
    list_select_related = ("conversion", "campaign", "delivery")
    search_fields = ("conversion__order_id",)
    ordering = ("-created_at",)


# --- Exchange rates -------------------------------------------------------------------------------------------------


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceAdminMixin, ModelAdmin):
    """Rates are shared by every organization: members read them, superusers (or holders of the Django
    permissions) write them. A change revalues the affected conversions in the background."""

    member_permissions = frozenset({"view"})
    list_display = ("date", "currency", "rate", "updated_at")
    list_filter = ("currency", "date")
    search_fields = ("currency",)
    date_hierarchy = "date"
    fields = ("date", "currency", "rate")
    paginator = CappedCountPaginator

    services = ServiceSet(update=exchange_rate_update, delete=exchange_rate_delete, instance_argument="exchange_rate")

    def create_through_service(self, request, *, organization, fields):
        # Rates are global: created by (currency, date), without an organization.
        return exchange_rate_set(currency=fields["currency"], on_date=fields["date"], rate=fields["rate"])[0]


for audited_model in (Campaign, Delivery, Conversion):
    register_history_log(audited_model)
