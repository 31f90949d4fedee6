"""Admin of webhooks: endpoints written through ``webhooks.services`` (the secret shown once, in a message),
and the read-only delivery log with its attempts, "send again" and "send a test event"."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from core.admin.filters import OrganizationFilter
from core.admin.mixins import DerivedRowsAdmin, ReadOnlyInline, ServiceAdminMixin, copy_state
from core.services import ServiceSet

from . import services
from .models import EVENT_TYPES, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES],
        widget=UnfoldAdminCheckboxSelectMultipleWidget,  # every type in view, ticked ones clear
        help_text="Event types sent to this endpoint.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("organization", "kind", "url", "events", "description", "active", "delay_seconds")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ServiceAdminMixin, ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "kind", "active", "event_types", "failing_since", "disabled_reason", "organization")
    list_filter = ("kind", "active", OrganizationFilter)
    list_select_related = ("organization",)
    search_fields = ("url", "description")
    fields = ("organization", "kind", "url", "events", "description", "active", "delay_seconds")
    readonly_fields = ("failing_since", "disabled_reason", "disabled_at", "created_at", "updated_at")
    actions = ("send_test_event", "rotate_secret")
    services = ServiceSet(
        create=services.webhook_endpoint_create,
        update=services.webhook_endpoint_update,
        delete=services.webhook_endpoint_delete,
        instance_argument="webhook_endpoint",
    )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [*fields, *self.readonly_fields] if obj is not None else fields

    @admin.display(description="events")
    def event_types(self, obj):
        return ", ".join(obj.events)

    def save_model(self, request, obj, form, change):
        row = self.write_through_service(request, form)
        copy_state(row, obj)
        if getattr(row, "secret", None):
            messages.warning(request, f"The endpoint's signing secret, shown this once: {row.secret}")

    @admin.action(description="Send a test event", permissions=["change"])
    def send_test_event(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_send_test(webhook_endpoint=endpoint)
        messages.success(request, f"Test event sent to {queryset.count()} endpoint(s); see the delivery log.")

    @admin.action(description="Rotate the secret (the old one signs for one more day)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            try:
                rotated = services.webhook_endpoint_secret_rotate(webhook_endpoint=endpoint)
            except ValidationError as error:
                messages.error(request, f"{endpoint}: {'; '.join(error.messages)}")
                continue
            messages.warning(request, f"New secret of {endpoint}, shown this once: {rotated.secret}")


class WebhookAttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("number", "started_at", "method", "url", "status_code", "latency_ms", "error", "request_body")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DerivedRowsAdmin):
    # The last error is on the delivery's page (with every attempt): as a column it pushed the list past 1280 px.
    list_display = (
        "created_at", "event_type", "endpoint", "status", "attempts", "http_status", "next_try",
    )  # fmt: skip
    list_filter = ("status", "event__type", OrganizationFilter)
    list_select_related = ("event", "endpoint")
    search_fields = ("endpoint__url", "event__id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "organization", "event", "endpoint", "status", "attempts", "next_attempt_at", "last_attempt_at",
        "last_status_code", "last_error", "succeeded_at", "payload", "created_at",
    )  # fmt: skip
    fields = readonly_fields
    inlines = (WebhookAttemptInline,)
    actions = ("send_again",)

    @admin.display(description="event")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="HTTP", ordering="last_status_code")
    def http_status(self, obj):
        return obj.last_status_code

    @admin.display(description="next try", ordering="next_attempt_at")
    def next_try(self, obj):
        return obj.next_attempt_at

    @admin.display(description="payload")
    def payload(self, obj):
        return obj.event.payload

    @admin.action(description="Send again", permissions=["view"])
    def send_again(self, request, queryset):
        for delivery in queryset:
            services.webhook_delivery_resend(webhook_delivery=delivery)
        messages.success(request, f"{queryset.count()} deliveries sent again.")
