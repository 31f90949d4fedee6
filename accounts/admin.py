"""Admin of organizations, memberships and API keys (scoped by ``core.admin.mixins``)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from unfold.admin import ModelAdmin

from core.admin.filters import OrganizationFilter
from core.admin.mixins import ServiceAdminMixin, copy_state
from core.services import ServiceSet
from core.validators import timezone_names

from .models import ATTRIBUTION_WINDOW_MAX_DAYS, ATTRIBUTION_WINDOW_MIN_DAYS, ApiKey, Membership, Organization
from .services import (
    api_key_create,
    api_key_delete,
    api_key_revoke,
    membership_add,
    membership_remove,
    organization_create,
    organization_delete,
    organization_update,
)

ORGANIZATION_OPTIONAL_SETTINGS = ("click_window_days", "open_window_days", "count_opens", "exclude_machine_opens")

admin.site.site_header = "Conversion management"
admin.site.site_title = "Conversion management admin"
admin.site.index_title = "Administration"


DEFAULTS_APPLY_TO_NEW = (
    "Applies to conversions written from now on; past days keep theirs until re-attributed "
    "(Re-attribution jobs → Re-attribute a date range)."
)


class OrganizationAdminForm(forms.ModelForm):
    """The per-kind attribution settings are optional: left out (or empty), they keep their value, or on a new
    organization take the service's defaults (the default window for both kinds, opens counted, machine opens
    excluded)."""

    timezone = forms.ChoiceField(choices=(), initial="UTC", help_text="IANA name; report days are cut here.")
    click_window_days = forms.IntegerField(
        required=False,
        min_value=ATTRIBUTION_WINDOW_MIN_DAYS,
        max_value=ATTRIBUTION_WINDOW_MAX_DAYS,
        help_text="Days, 1..90: clicks up to this long before a conversion earn credit. Empty: the default window.",
    )
    open_window_days = forms.IntegerField(
        required=False,
        min_value=ATTRIBUTION_WINDOW_MIN_DAYS,
        max_value=ATTRIBUTION_WINDOW_MAX_DAYS,
        help_text="Days, 1..90: opens up to this long before a conversion earn credit. Empty: the default window.",
    )
    count_opens = forms.NullBooleanField(required=False, help_text="Whether opens earn credit (clicks always do).")
    exclude_machine_opens = forms.NullBooleanField(
        required=False,
        help_text="Whether opens the sender flagged as machine opens (privacy proxies, bots) are ignored.",
    )

    class Meta:
        model = Organization
        fields = (
            "slug", "name", "reference_currency", "timezone", "default_attribution_model", "default_attribution_window",
            "click_window_days", "open_window_days", "count_opens", "exclude_machine_opens",
        )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "timezone" in self.fields:
            self.fields["timezone"].choices = [(name, name) for name in sorted(timezone_names())]
        for name in ("default_attribution_model", "default_attribution_window"):
            if name in self.fields:
                self.fields[name].help_text = " ".join(
                    filter(None, [self.fields[name].help_text, DEFAULTS_APPLY_TO_NEW])
                )


@admin.register(Organization)
class OrganizationAdmin(ServiceAdminMixin, ModelAdmin):
    """Members may see and rename their organizations; only superusers create or delete them."""

    member_permissions = frozenset({"view", "change"})
    form = OrganizationAdminForm
    list_display = ("name", "slug", "reference_currency", "timezone", "default_attribution_model", "created_at")
    search_fields = ("name", "slug")
    fields = (
        "slug", "name", "reference_currency", "timezone", "default_attribution_model", "default_attribution_window",
        "click_window_days", "open_window_days", "count_opens", "exclude_machine_opens",
    )  # fmt: skip
    prepopulated_fields = {"slug": ("name",)}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["slug", "reference_currency", "timezone"]
        return readonly

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if obj is None else {}

    services = ServiceSet(update=organization_update, delete=organization_delete)
    blank_means_default = ORGANIZATION_OPTIONAL_SETTINGS

    def create_through_service(self, request, *, organization, fields):
        # The organization is the tenant itself: created from the form's fields, not inside an organization.
        return organization_create(
            slug=fields["slug"],
            name=fields["name"],
            reference_currency=fields["reference_currency"],
            timezone_name=fields["timezone"],
            default_attribution_model=fields["default_attribution_model"],
            default_attribution_window=fields["default_attribution_window"],
            **{name: fields[name] for name in ORGANIZATION_OPTIONAL_SETTINGS if name in fields},
        )

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, ModelAdmin):
    """Who may act for which organization; members see their organizations' members, superusers manage them."""

    member_permissions = frozenset({"view"})
    list_display = ("user", "organization", "created_at")
    list_filter = (OrganizationFilter,)
    search_fields = ("user__username", "user__email", "organization__name")
    list_select_related = ("user", "organization")
    fields = ("organization", "user")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["user"] if obj is not None else readonly

    services = ServiceSet(create=membership_add, delete=membership_remove)


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAdminMixin, ModelAdmin):
    """API keys: the secret is shown once, in the body of the page that answers the creation, and never stored
    or shown again. It is in no message, cookie or session: Django's messages travel in a signed but readable
    cookie.

    Keys are not edited (a key with other rights is a new key); they are revoked, which keeps them listed with
    their last use.
    """

    member_permissions = frozenset({"view", "add", "change"})
    list_display = ("name", "organization", "prefix", "read_only", "revoked", "last_used_at", "created_at")
    list_filter = ("read_only", ("revoked_at", admin.EmptyFieldListFilter), OrganizationFilter)
    search_fields = ("name", "prefix")
    list_select_related = ("organization",)
    fields = ("organization", "name", "read_only", "prefix", "revoked_at", "last_used_at", "created_at")
    actions = ("revoke",)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return [name for name in fields if name in ("organization", "name", "read_only")]
        return fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["organization", "name", "read_only", "prefix", "revoked_at", "last_used_at", "created_at"]

    @admin.display(boolean=True, description="revoked")
    def revoked(self, obj):
        return obj.is_revoked

    services = ServiceSet(delete=api_key_delete, instance_argument="api_key")

    def create_through_service(self, request, *, organization, fields):
        # Not the generic create: the secret the service returns is kept on the row for the one-time message.
        api_key, secret = api_key_create(
            organization=organization, name=fields.get("name") or "default", read_only=fields.get("read_only", False)
        )
        api_key.new_secret = secret
        return api_key

    def save_model(self, request, obj, form, change):
        api_key = self.write_through_service(request, form)
        copy_state(api_key, obj)
        if not change:
            obj.new_secret = api_key.new_secret

    def response_add(self, request, obj, post_url_continue=None):
        """The page that shows the new key's secret, once, instead of the usual redirect with a message."""
        secret = getattr(obj, "new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": f"API key “{obj.name}” created",
            "opts": self.opts,
            "api_key": obj,
            "secret": secret,
            "change_url": reverse("admin:accounts_apikey_change", args=[obj.pk]),
            "changelist_url": reverse("admin:accounts_apikey_changelist"),
        }
        response = TemplateResponse(request, "admin/accounts/apikey/secret.html", context)
        add_never_cache_headers(response)  # no copy in any cache (the admin adds it too; this page must have it)
        return response

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(request, f"{revoked} API key(s) revoked.", messages.SUCCESS)
