"""Admin of campaigns, deliveries, touchpoints, conversions and exchange rates.

Everything is scoped and written through ``conversions.services`` by ``core.admin.mixins``; this module only
declares screens, the conversion actions and the read-only computed fields.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin
from unfold.decorators import action as unfold_action
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
)

from accounts.models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, AttributionModel
from core.admin.display import (
    EMPTY,
    HistoryDisplayMixin,
    local_time,
    local_time_cell,
    money,
    nowrap,
    percent,
    truncated,
)
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

from .admin_explanation import explanation_timeline
from .models import Attribution, Campaign, Conversion, Delivery, ExchangeRate, Refund, Touchpoint
from .resources import CampaignResource, ConversionResource, DeliveryResource, RefundResource
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
    refund_record,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_update,
)

# Cuts in the conversion list, whose eight columns fit a 1280 px window beside the navigation.
CREDIT_NAME_LENGTH = 18
CONTACT_LENGTH = 20
ORDER_ID_LENGTH = 16

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


class RefundCreditedCampaignFilter(CampaignFilter):
    """Refunds of conversions credited to a campaign (as in the API's ``campaign_id`` on /refunds/)."""

    def filter_by(self, queryset, value):
        return queryset.filter(conversion__in=Attribution.objects.filter(campaign_id=value).values("conversion_id"))


class RefundCreditedDeliveryFilter(DeliveryFilter):
    def filter_by(self, queryset, value):
        return queryset.filter(conversion__in=Attribution.objects.filter(delivery_id=value).values("conversion_id"))


# --- Campaigns, deliveries, touchpoints -----------------------------------------------------------------------------


class ListDisplayMixin:
    """Columns shared by the lists: times in each row's organization's zone, named; long names cut (full on
    hover); "—" for an empty value. Admins using it select the organization with their rows."""

    empty_value_display = EMPTY

    @admin.display(description="name", ordering="name")
    def short_name(self, obj):
        return truncated(obj.name)

    @admin.display(description="created at", ordering="created_at")
    def created_local(self, obj):
        return local_time_cell(obj.created_at, obj.organization.zone)


@admin.register(Campaign)
class CampaignAdmin(HistoryDisplayMixin, ListDisplayMixin, TenantImportExportMixin, TenantHistoryAdmin):
    resource_classes = [CampaignResource]
    list_display = ("short_name", "status", "language", "sent_local", "created_local")
    list_select_related = ("organization",)
    list_filter = ("status", "language", OrganizationFilter, "sent_at")
    search_fields = ("name", "external_id")
    fields = ("organization", "name", "external_id", "status", "language", "sent_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    services = ServiceSet(create=campaign_create, update=campaign_update, delete=campaign_delete)
    actions = ("export_selected_csv",)

    @admin.action(description="Export selected campaigns as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv_response(queryset, "campaigns.csv")

    @admin.display(description="sent at", ordering="sent_at")
    def sent_local(self, obj):
        return local_time_cell(obj.sent_at, obj.organization.zone)


@admin.register(Delivery)
class DeliveryAdmin(HistoryDisplayMixin, ListDisplayMixin, TenantImportExportMixin, TenantHistoryAdmin):
    resource_classes = [DeliveryResource]
    list_display = ("short_name", "kind", "campaign_name", "language", "created_local")
    list_filter = ("kind", CampaignFilter, "language", OrganizationFilter)
    search_fields = ("name", "external_id")
    fields = ("organization", "name", "external_id", "kind", "campaign", "language")
    autocomplete_fields = ("campaign",)
    list_select_related = ("campaign", "organization")
    ordering = ("-created_at",)

    services = ServiceSet(create=delivery_create, update=delivery_update, delete=delivery_delete)
    actions = ("export_selected_csv",)

    @admin.action(description="Export selected deliveries as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv_response(queryset, "deliveries.csv")

    @admin.display(description="campaign", ordering="campaign__name")
    def campaign_name(self, obj):
        return truncated(obj.campaign.name) if obj.campaign is not None else EMPTY


@admin.register(Touchpoint)
class TouchpointAdmin(ServiceAdminMixin, ModelAdmin):
    list_display = ("occurred_local", "kind", "contact_email", "campaign_name", "delivery_name")
    list_display_links = ("occurred_local",)
    empty_value_display = EMPTY
    list_filter = ("kind", "is_machine", CampaignFilter, DeliveryFilter, OrganizationFilter, "occurred_at")
    search_fields = ("contact__email",)
    fields = ("organization", "contact", "kind", "is_machine", "campaign", "delivery", "occurred_at")
    autocomplete_fields = ("contact", "campaign", "delivery")
    list_select_related = ("organization", "contact", "campaign", "delivery")
    date_hierarchy = "occurred_at"
    paginator = CappedCountPaginator

    services = ServiceSet(create=touchpoint_create, update=touchpoint_update, delete=touchpoint_delete)

    @admin.display(description="occurred at", ordering="occurred_at")
    def occurred_local(self, obj):
        return local_time_cell(obj.occurred_at, obj.organization.zone)

    @admin.display(description="contact", ordering="contact__email")
    def contact_email(self, obj):
        return truncated(obj.contact.email or obj.contact.client_contact_id)

    @admin.display(description="campaign", ordering="campaign__name")
    def campaign_name(self, obj):
        return truncated(obj.campaign.name) if obj.campaign is not None else EMPTY

    @admin.display(description="delivery", ordering="delivery__name")
    def delivery_name(self, obj):
        return truncated(obj.delivery.name) if obj.delivery is not None else EMPTY


# --- Conversions ----------------------------------------------------------------------------------------------------


class ConversionAdminForm(forms.ModelForm):
    """Fields a service fills in when left empty are optional here, so the service's default applies."""

    currency = forms.CharField(
        required=False,
        max_length=3,
        help_text="ISO 4217. Empty: the organization's reference currency.",
        widget=UnfoldAdminTextInputWidget,
    )
    revenue_without_tax = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="Empty: equal to revenue.",
        widget=UnfoldAdminDecimalFieldWidget,
    )
    attribution_model = forms.ChoiceField(
        required=False,
        choices=[("", "Organization default"), *AttributionModel.choices],
        widget=UnfoldAdminSelectWidget,
    )
    attribution_window = forms.IntegerField(
        required=False,
        help_text=f"Days, {ATTRIBUTION_WINDOW_MIN_DAYS}..{ATTRIBUTION_WINDOW_MAX_DAYS}. "
        "Empty: the organization's default.",
        widget=UnfoldAdminIntegerFieldWidget,
    )

    class Meta:
        model = Conversion
        fields = (
            "organization", "converted_at", "contact", "type", "status", "count", "order_id", "revenue",
            "revenue_without_tax", "payout", "currency", "campaign", "delivery", "attribution_model",
            "attribution_window", "origin", "country", "coupon_code", "notes", "metadata",
        )  # fmt: skip


def _reference_money(amount, currency):
    return "— (no rate yet)" if amount is None else money(amount, currency)


class CreditColumns:
    """Columns of a credit (``Attribution``) row: the weight as a percentage, amounts with their currency."""

    @admin.display(description="weight", ordering="weight")
    def weight_percent(self, obj):
        return percent(obj.weight)

    @admin.display(description="revenue", ordering="revenue")
    def credited_revenue(self, obj):
        return money(obj.revenue, obj.conversion.currency)

    @admin.display(description="revenue without tax")
    def credited_revenue_without_tax(self, obj):
        return money(obj.revenue_without_tax, obj.conversion.currency)

    @admin.display(description="reference revenue", ordering="reference_revenue")
    def credited_reference_revenue(self, obj):
        return _reference_money(obj.reference_revenue, obj.conversion.reference_currency)

    @admin.display(description="reference revenue without tax")
    def credited_reference_revenue_without_tax(self, obj):
        return _reference_money(obj.reference_revenue_without_tax, obj.conversion.reference_currency)


class AttributionInline(CreditColumns, ReadOnlyInline):
    model = Attribution
    fields = (
        "campaign", "delivery", "weight_percent", "credited_revenue", "credited_revenue_without_tax",
        "credited_reference_revenue", "credited_reference_revenue_without_tax",
    )  # fmt: skip
    verbose_name_plural = "attributions (computed)"
    hide_title = True  # the row's title would be the model's "1.000000000000 of <conversion id>"
    empty_value_display = EMPTY

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversion", "campaign", "delivery")


class RefundInline(ReadOnlyInline):
    """The conversion's refund ledger, read-only: entries are recorded with the "Refund…" action or form."""

    model = Refund
    fk_name = "conversion"
    fields = (
        "refunded_local",
        "refund_amount",
        "refund_amount_without_tax",
        "reason",
        "note",
        "external_ref",
        "reverses",
    )
    verbose_name_plural = "refunds (ledger, read-only)"
    hide_title = True
    empty_value_display = EMPTY
    ordering = ("refunded_at", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversion", "conversion__organization", "reverses")

    @admin.display(description="refunded at")
    def refunded_local(self, obj):
        return local_time(obj.refunded_at, obj.conversion.organization.zone)

    @admin.display(description="amount")
    def refund_amount(self, obj):
        return money(obj.amount, obj.conversion.currency)

    @admin.display(description="without tax")
    def refund_amount_without_tax(self, obj):
        return money(obj.amount_without_tax, obj.conversion.currency)


@admin.register(Conversion)
class ConversionAdmin(HistoryDisplayMixin, TenantImportExportMixin, TenantHistoryAdmin):
    form = ConversionAdminForm
    resource_classes = [ConversionResource]
    list_display = (
        "converted_local", "contact_email", "type", "status", "amount", "credit", "short_order_id",
    )  # fmt: skip
    list_display_links = ("converted_local",)
    empty_value_display = EMPTY
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
    inlines = (AttributionInline, RefundInline)
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
                "converted_date", "reference_currency", "reference_amount", "reference_amount_without_tax",
                "reference_rate", "refunded_amount", "net_amount", "reference_net_amount", "id", "created_at",
                "updated_at",
            )
        },
    )  # fmt: skip
    explanation_fieldset = ("Why this credit", {"fields": ("why_this_credit",)})
    readonly_fields = (*computed_fieldset[1]["fields"], "why_this_credit")
    actions = ("approve", "reject", "refund", "refund_part", "reattribute", "export_selected_csv")
    actions_list = ("reattribute_range",)

    def get_queryset(self, request):
        credit = Attribution.objects.select_related("campaign", "delivery")
        return super().get_queryset(request).prefetch_related(Prefetch("attributions", queryset=credit))

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(options)) for name, options in self.fieldsets]
        if obj is not None:
            fieldsets += [self.explanation_fieldset, self.computed_fieldset]
        elif not self.organization_choice_needed(request):
            fieldsets[0][1]["fields"] = tuple(name for name in fieldsets[0][1]["fields"] if name != "organization")
        return fieldsets

    # List columns

    @admin.display(description="converted at", ordering="converted_at")
    def converted_local(self, obj):
        return nowrap(local_time(obj.converted_at, obj.organization.zone))

    @admin.display(description="contact", ordering="contact__email")
    def contact_email(self, obj):
        if obj.contact is None:
            return EMPTY
        return truncated(obj.contact.email or obj.contact.client_contact_id, CONTACT_LENGTH)

    @admin.display(description="order id", ordering="order_id")
    def short_order_id(self, obj):
        return truncated(obj.order_id, ORDER_ID_LENGTH)

    @admin.display(description="amount", ordering="reference_revenue")
    def amount(self, obj):
        """The amount in its currency, and under it in the organization's reference currency (which sorts)."""
        if obj.reference_revenue is None:
            reference = "no rate yet"
        else:
            reference = money(obj.reference_revenue, obj.reference_currency)
        return format_html(
            '{}<br><span class="text-font-subtle-light dark:text-font-subtle-dark">{}</span>',
            nowrap(money(obj.revenue, obj.currency)),
            nowrap(reference),
        )

    @admin.display(description="reference revenue")
    def reference_amount(self, obj):
        return _reference_money(obj.reference_revenue, obj.reference_currency)

    @admin.display(description="reference revenue without tax")
    def reference_amount_without_tax(self, obj):
        return _reference_money(obj.reference_revenue_without_tax, obj.reference_currency)

    @admin.display(description="refunded (ledger)")
    def refunded_amount(self, obj):
        without_tax = money(obj.refunded_revenue_without_tax, obj.currency)
        return f"{money(obj.refunded_revenue, obj.currency)} (without tax {without_tax})"

    @admin.display(description="net revenue")
    def net_amount(self, obj):
        return (
            f"{money(obj.net_revenue, obj.currency)} (without tax {money(obj.net_revenue_without_tax, obj.currency)})"
        )

    @admin.display(description="reference net revenue")
    def reference_net_amount(self, obj):
        return _reference_money(obj.reference_net_revenue, obj.reference_currency)

    @admin.display(description="credit")
    def credit(self, obj):
        rows = [
            (
                truncated(attribution.delivery or attribution.campaign, CREDIT_NAME_LENGTH),
                f"{attribution.weight * 100:.0f}%",
            )
            for attribution in obj.attributions.all()
        ]
        if not rows:
            return EMPTY
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} ({})</li>", rows))

    @admin.display(description="touchpoints weighed")
    def why_this_credit(self, obj):
        """Every touchpoint the attribution looked at, and why it counted or not (the explain endpoint's answer)."""
        return explanation_timeline(obj)

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

    @admin.action(description="Mark selected conversions refunded (refund what remains)", permissions=["change"])
    def refund(self, request, queryset):
        self._set_status(request, queryset, Conversion.Status.REFUNDED)

    @admin.action(description="Refund…", permissions=["change"])
    def refund_part(self, request, queryset):
        """Open the refund form (amount, reason, note) for the one selected conversion."""
        selected = list(queryset.values_list("pk", flat=True)[:2])
        if len(selected) != 1:
            self.message_user(request, "Choose exactly one conversion to refund part of.", messages.WARNING)
            return None
        return HttpResponseRedirect(f"{reverse('admin:conversions_refund_add')}?conversion={selected[0]}")

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

    @unfold_action(description="Re-attribute a date range…", url_path="reattribute-range", icon="autorenew")
    def reattribute_range(self, request):
        """The button above the list: the re-attribution job form (``admin_jobs``), which checks its own access."""
        return HttpResponseRedirect(reverse("admin:conversions_reattributionjob_add"))


@admin.register(Attribution)
class AttributionAdmin(CreditColumns, DerivedRowsAdmin):
    """Credit rows, computed by the services: to look up who got credit for what, across conversions."""

    list_display = (
        "short_conversion", "campaign_name", "delivery_name", "weight_percent", "credited_revenue",
        "credited_reference_revenue", "created_local",
    )  # fmt: skip
    list_filter = (CampaignFilter, DeliveryFilter, OrganizationFilter)
    list_select_related = ("organization", "conversion", "campaign", "delivery")
    empty_value_display = EMPTY
    search_fields = ("conversion__order_id",)
    ordering = ("-created_at",)

    @admin.display(description="conversion", ordering="conversion__converted_at")
    def short_conversion(self, obj):
        return truncated(obj.conversion)

    @admin.display(description="campaign", ordering="campaign__name")
    def campaign_name(self, obj):
        return truncated(obj.campaign.name) if obj.campaign is not None else EMPTY

    @admin.display(description="delivery", ordering="delivery__name")
    def delivery_name(self, obj):
        return truncated(obj.delivery.name) if obj.delivery is not None else EMPTY

    @admin.display(description="created at", ordering="created_at")
    def created_local(self, obj):
        return local_time_cell(obj.created_at, obj.organization.zone)


# --- Refunds --------------------------------------------------------------------------------------------------------


class RefundAdminForm(forms.ModelForm):
    amount = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="> 0, in the conversion's currency, tax included; at most what remains. Empty in a reversal.",
        widget=UnfoldAdminDecimalFieldWidget,
    )
    amount_without_tax = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text="Empty: the same share of the conversion's revenue without tax.",
        widget=UnfoldAdminDecimalFieldWidget,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "refunded_at" in self.fields:
            self.fields["refunded_at"].required = False
            self.fields["refunded_at"].help_text = "Empty: now. Not before the conversion, not over 5 minutes ahead."

    class Meta:
        model = Refund
        fields = (
            "conversion",
            "amount",
            "amount_without_tax",
            "reason",
            "note",
            "external_ref",
            "refunded_at",
            "reverses",
        )


@admin.register(Refund)
class RefundAdmin(HistoryDisplayMixin, TenantImportExportMixin, TenantHistoryAdmin):
    """The refund ledger of every conversion. Entries are added (the "Refund…" form, the CSV import) and never
    changed or deleted here: a mistaken one is corrected by a reversal (an entry naming it in "reverses")."""

    form = RefundAdminForm
    resource_classes = [RefundResource]
    list_display = ("refunded_local", "short_conversion", "refund_amount", "reason", "external_ref", "reverses_short")
    list_display_links = ("refunded_local",)
    list_filter = (
        "reason", RefundCreditedCampaignFilter, RefundCreditedDeliveryFilter, OrganizationFilter, "refunded_at",
    )  # fmt: skip
    list_select_related = ("organization", "conversion", "reverses")
    search_fields = ("external_ref", "conversion__order_id", "note")
    search_help_text = "External ref, the conversion's order id, or note."
    date_hierarchy = "refunded_at"
    autocomplete_fields = ("conversion", "reverses")
    paginator = CappedCountPaginator
    empty_value_display = EMPTY
    blank_means_default = ("amount", "amount_without_tax", "refunded_at", "external_ref", "reverses", "note")
    conflict_field = "external_ref"
    fields = RefundAdminForm.Meta.fields
    services = ServiceSet(create=refund_record)

    def has_change_permission(self, request, obj=None):
        return False  # immutable: a reversal corrects an entry

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return list(self.fields)

    def organization_for_new_object(self, request, cleaned_data):
        conversion = cleaned_data.get("conversion")  # offered only among the user's organizations' conversions
        return conversion.organization if conversion is not None else None

    def create_through_service(self, request, *, organization, fields):
        return self.services.create(organization=organization, **fields)

    @admin.display(description="refunded at", ordering="refunded_at")
    def refunded_local(self, obj):
        return local_time_cell(obj.refunded_at, obj.organization.zone)

    @admin.display(description="conversion", ordering="conversion__converted_at")
    def short_conversion(self, obj):
        return truncated(obj.conversion, ORDER_ID_LENGTH)

    @admin.display(description="amount", ordering="amount")
    def refund_amount(self, obj):
        return nowrap(money(obj.amount, obj.conversion.currency))

    @admin.display(description="reverses")
    def reverses_short(self, obj):
        return truncated(obj.reverses, ORDER_ID_LENGTH) if obj.reverses_id else EMPTY


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


for audited_model in (Campaign, Delivery, Conversion, Refund):
    register_history_log(audited_model)
from . import admin_jobs  # noqa: E402,F401 - the re-attribution jobs screens (a module of their own)
