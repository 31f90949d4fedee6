"""The base of every admin screen: tenant scoping once, and writes through the services.

``TenantAdminMixin`` restricts what a staff user sees and can pick (querysets, foreign-key choices, autocomplete
results, list filters) to the organizations they are a member of (``core.admin.scoping``); superusers see
everything. No admin class filters by organization by hand.

``ServiceAdminMixin`` routes the add, change, delete and revert forms through the service layer, so the admin
obeys the same validation, deduplication, attribution and report invalidation as the API. A service reports a
problem by raising (``ValidationError`` with a field dict, or ``ConflictError``); to show that on the form
instead of a 500, the form's ``_post_clean`` runs the very same service call inside a savepoint that is always
rolled back (a dry run: history rows, rollup marks and ``on_commit`` tasks vanish with it). ``save_model`` then
runs it for real. One code path, no second copy of the rules; the cost is one extra service call per save.
"""

import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model
from unfold.admin import ModelAdmin, TabularInline

from ..exceptions import ConflictError
from ..services import ServiceSet
from ..tenancy import ORGANIZATION_FIELD, has_organization_field, is_organization_model, is_tenant_model
from .filters import CappedCountPaginator, OrganizationFilter
from .scoping import (
    organizations_for,
    scope_queryset,
    single_organization,
    user_organization_ids,
)
from .times import keep_unedited_instants, render_in_zone, zoned_datetime_formfield

MEMBER_PERMISSIONS_ALL = frozenset({"view", "add", "change", "delete"})


def copy_state(source: models.Model, target: models.Model) -> None:
    """Make ``target`` (the admin's or the importer's instance) the row a service wrote."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.adding = False
    target._state.db = source._state.db
    target._state.fields_cache = dict(source._state.fields_cache)


def service_error_dict(error: ValidationError, field_names) -> dict[str | None, list[str]]:
    """Map a service's error keys onto form fields: ``contact_id`` is the ``contact`` field, unknown keys are
    non-field errors that keep their name."""
    if not hasattr(error, "error_dict"):
        return {None: list(error.messages)}
    mapped: dict[str | None, list[str]] = {}
    for key, messages in error.message_dict.items():
        if key in field_names:
            mapped.setdefault(key, []).extend(messages)
        elif key.endswith("_id") and key[:-3] in field_names:
            mapped.setdefault(key[:-3], []).extend(messages)
        elif key == "__all__":
            mapped.setdefault(None, []).extend(messages)
        else:
            mapped.setdefault(None, []).extend(f"{key}: {message}" for message in messages)
    return mapped


# --- Admin mixins ---------------------------------------------------------------------------------------------------


class TenantAdminMixin:
    """Scope an admin to the staff user's organizations.

    A member of an organization gets ``member_permissions`` on its rows without needing Django model
    permissions (the contract: a staff user sees and edits the organizations they are a member of); Django
    permissions still grant what they grant, always within the same scope.
    """

    member_permissions: frozenset[str] = MEMBER_PERMISSIONS_ALL
    show_full_result_count = False
    change_list_template = "admin/tenant_change_list.html"

    def is_member(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and bool(user_organization_ids(request))

    def _member_may(self, request, permission: str) -> bool:
        return permission in self.member_permissions and self.is_member(request)

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self.is_member(request)

    def has_view_permission(self, request, obj=None):
        return (
            super().has_view_permission(request, obj)
            or self._member_may(request, "view")
            or self._member_may(request, "change")
        )

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) or self._member_may(request, "add")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or self._member_may(request, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) or self._member_may(request, "delete")

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and is_tenant_model(related):
            if is_organization_model(related):
                kwargs["queryset"] = organizations_for(request)
            else:
                base = self.get_field_queryset(None, db_field, request)
                kwargs["queryset"] = scope_queryset(
                    base if base is not None else related._default_manager.all(), request
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # The organization of a new object: chosen among the user's own, or implied when they have exactly one.
    # It never changes afterwards (nothing in the services moves rows between tenants).

    def organization_choice_needed(self, request) -> bool:
        return single_organization(request) is None

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None and not self.organization_choice_needed(request):
            fields = [name for name in fields if name != ORGANIZATION_FIELD]
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_organization_field(self.model) and ORGANIZATION_FIELD not in readonly:
            readonly.append(ORGANIZATION_FIELD)
        return readonly

    def organization_for_new_object(self, request, cleaned_data):
        return cleaned_data.get(ORGANIZATION_FIELD) or single_organization(request)

    # Dates and times are read and shown in the organization's zone when there is one to choose.

    def organization_zone(self, request, object_id=None) -> zoneinfo.ZoneInfo | None:
        if object_id is not None and has_organization_field(self.model):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                return obj.organization.zone
        organization = single_organization(request)
        return organization.zone if organization is not None else None

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and isinstance(formfield, forms.SplitDateTimeField):
            formfield = zoned_datetime_formfield(formfield)
        return formfield

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone = self.organization_zone(request, object_id)
        return render_in_zone(
            zone, lambda: super(TenantAdminMixin, self).changeform_view(request, object_id, form_url, extra_context)
        )

    def changelist_view(self, request, extra_context=None):
        zone = self.organization_zone(request)
        return render_in_zone(zone, lambda: super(TenantAdminMixin, self).changelist_view(request, extra_context))

    def delete_view(self, request, object_id, extra_context=None):
        zone = self.organization_zone(request, object_id)
        return render_in_zone(
            zone, lambda: super(TenantAdminMixin, self).delete_view(request, object_id, extra_context)
        )


class ServiceAdminMixin(TenantAdminMixin):
    """Writes through the services; their validation errors land on the form (see the module docstring).

    Subclasses declare their services once (``services = ServiceSet(create=…, update=…, delete=…)``); an admin
    whose writes need more than the form's fields overrides ``create_through_service`` and friends instead.
    Add forms pass every form field; change forms pass the fields whose value differs from the stored row, which
    also makes simple-history's revert form (prefilled with an old version) go through ``update`` like any edit.
    Fields in ``blank_means_default`` are left out when empty, so the service applies its default.
    """

    blank_means_default: tuple[str, ...] = ()
    conflict_field: str | None = None
    services: ServiceSet = ServiceSet()

    def create_through_service(self, request, *, organization, fields: dict) -> models.Model:
        return self.services.create_row(organization=organization, fields=fields)

    def update_through_service(self, request, *, obj, fields: dict) -> models.Model:
        return self.services.update_row(obj, fields)

    def delete_through_service(self, request, *, obj) -> None:
        self.services.delete_row(obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):
            def _clean_fields(self):
                super()._clean_fields()
                keep_unedited_instants(self)

            def _post_clean(self):
                model_admin.validate_through_service(request, self)

        ServiceForm.__name__ = form_class.__name__
        return ServiceForm

    def _service_fields(self, cleaned_data: dict) -> dict:
        return {
            name: value
            for name, value in cleaned_data.items()
            if name != ORGANIZATION_FIELD and not (name in self.blank_means_default and value in (None, ""))
        }

    def write_through_service(self, request, form) -> models.Model:
        """Create or update from a valid form; returns the row the service wrote."""
        fields = self._service_fields(form.cleaned_data)
        if form.instance._state.adding:
            organization = self.organization_for_new_object(request, form.cleaned_data)
            if has_organization_field(self.model) and organization is None:
                raise ValidationError({ORGANIZATION_FIELD: ["Choose an organization."]})
            return self.create_through_service(request, organization=organization, fields=fields)
        current = self.get_queryset(request).filter(pk=form.instance.pk).first()
        if current is None:
            raise ValidationError("This object no longer exists; it cannot be changed or reverted.")
        changed = {name: value for name, value in fields.items() if _differs(current, name, value)}
        if not changed:
            return current
        return self.update_through_service(request, obj=current, fields=changed)

    def validate_through_service(self, request, form) -> None:
        """Dry run of the write inside a savepoint that is always rolled back; errors go onto the form."""
        if form.errors:
            return
        try:
            with transaction.atomic():
                self.write_through_service(request, form)
                transaction.set_rollback(True)
        except ValidationError as error:
            for field, messages in service_error_dict(error, form.fields).items():
                form.add_error(field, messages)
        except ConflictError as error:
            field = self.conflict_field if self.conflict_field in form.fields else None
            form.add_error(field, error.message)

    def save_model(self, request, obj, form, change):
        copy_state(self.write_through_service(request, form), obj)

    def delete_model(self, request, obj):
        self.delete_through_service(request, obj=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_through_service(request, obj=obj)


def _differs(current: models.Model, name: str, value) -> bool:
    try:
        field = current._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field: always passed on
        return True
    if field.is_relation and field.many_to_one:
        return getattr(value, "pk", value) != getattr(current, field.attname)
    stored = getattr(current, name)
    if stored in (None, "") and value in (None, ""):
        return False
    return stored != value


class TenantHistoryAdmin(ServiceAdminMixin, SimpleHistoryAdmin, ModelAdmin):
    """simple-history's admin, scoped, with who (user or API key), when and old → new per field.

    The history of a deleted row stays reachable (and scoped) at its history URL; reverting to a version posts
    the version's values through the same form, so it goes through ``update_through_service`` like any edit.
    """

    object_history_list_template = "admin/history/object_history_list.html"
    history_excluded_fields = ("updated_at",)

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return scope_queryset(queryset, request)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history table for a row it cannot find (a deleted one): that fallback
        # must not show another organization's deleted rows.
        history_model = get_history_model_for_model(self.model)
        lookup = {self.model._meta.pk.attname: unquote(object_id)}
        try:
            visible = self.get_queryset(request).filter(**lookup).exists() or (
                scope_queryset(history_model.objects.filter(**lookup), request).exists()
            )
        except ValidationError as error:  # not a UUID
            raise Http404 from error
        if not visible:
            raise Http404
        zone = self.organization_zone(request, object_id)
        return render_in_zone(
            zone, lambda: super(TenantHistoryAdmin, self).history_view(request, object_id, extra_context)
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_model = get_history_model_for_model(self.model)
        pk_name = self.model._meta.pk.attname
        try:
            version = (
                scope_queryset(history_model.objects.filter(**{pk_name: unquote(object_id)}), request)
                .filter(history_id=version_id)
                .first()
            )
        except (ValidationError, ValueError) as error:
            raise Http404 from error
        if version is None:
            raise Http404
        # The revert form shows and reads times in the organization's zone, like the change form.
        organization = getattr(version, ORGANIZATION_FIELD, None)
        return render_in_zone(
            organization.zone if organization else None,
            lambda: super(TenantHistoryAdmin, self).history_form_view(request, object_id, version_id, extra_context),
        )

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=self.history_excluded_fields, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current


class DerivedRowsAdmin(TenantAdminMixin, ModelAdmin):
    """Rows computed by the system (history, credit, rollups, marks): listed read-only, never edited or deleted
    on their own. They do go with what they derive from, so a parent's delete confirmation (which asks this admin
    about each cascaded row) is allowed; deleting one of them directly is not."""

    member_permissions = frozenset({"view"})
    paginator = CappedCountPaginator

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return obj is not None and self.has_view_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "show_delete": False})


class HistoryLogAdmin(DerivedRowsAdmin):
    """A read-only, scoped log of every historical row of one model: the place where deletions stay visible."""

    list_display = ("history_date", "history_type", "record", "changed_by", "object_history")
    list_filter = ("history_type", OrganizationFilter)
    date_hierarchy = "history_date"
    list_select_related = ("history_user",)

    @admin.display(description="record")
    def record(self, obj):
        return str(obj.instance)

    @admin.display(description="changed by")
    def changed_by(self, obj):
        if obj.history_user is not None:
            return str(obj.history_user)
        return f"API key {obj.history_api_key}" if obj.history_api_key else "—"

    @admin.display(description="history")
    def object_history(self, obj):
        model = obj.instance_type._meta
        url = reverse(f"admin:{model.app_label}_{model.model_name}_history", args=[obj.id])
        return format_html('<a href="{}">all versions</a>', url)


def register_history_log(model, admin_site=admin.site) -> None:
    """Register the read-only log of ``model``'s history table."""
    admin_site.register(get_history_model_for_model(model), HistoryLogAdmin)


class ReadOnlyInline(TabularInline):
    """A computed, read-only inline (attributions): visible to whoever may view the parent, editable by none."""

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
