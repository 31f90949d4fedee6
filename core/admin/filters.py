"""List pagination and sidebar filters for big, tenant-scoped admin lists."""

import uuid

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import models
from django.utils.functional import cached_property

from ..tenancy import is_organization_model
from .scoping import organizations_for, scope_queryset


def filter_by_uuid(queryset, value, apply):
    """A filter chosen in the sidebar: none chosen keeps every row; a value that is not a UUID matches nothing."""
    if not value:
        return queryset
    try:
        uuid.UUID(value)
    except ValueError:
        return queryset.none()
    return apply(queryset, value)


class CappedCountPaginator(Paginator):
    """A paginator that never counts a huge table: ``COUNT(*)`` over at most ``count_cap + 1`` rows.

    Past the cap the list shows "more than N" and the last pages are reached by filtering (date hierarchy,
    filters, search) instead of paging; the admin's ``show_full_result_count`` is off for the same reason.
    """

    count_cap = 10_000
    template_name = "admin/capped/pagination.html"

    @cached_property
    def count(self) -> int:
        head = self.object_list[: self.count_cap + 1]
        counted = head.count() if hasattr(head, "query") else len(head)
        self.count_is_capped = counted > self.count_cap
        return min(counted, self.count_cap)

    count_is_capped = False


class TenantRelatedFilter(admin.SimpleListFilter):
    """A sidebar filter on a related tenant model whose choices are only the user's organizations' rows."""

    related_model: type[models.Model]
    max_choices = 100

    def lookups(self, request, model_admin):
        related = scope_queryset(self.related_model._default_manager.all(), request)
        return [(str(obj.pk), str(obj)) for obj in related[: self.max_choices]]

    def has_output(self):
        # A chosen value always filters, even one the user may not see (it then matches nothing).
        return bool(self.lookup_choices) or self.value() is not None

    def queryset(self, request, queryset):
        return filter_by_uuid(queryset, self.value(), self.filter_by)

    def filter_by(self, queryset, value):
        return queryset.filter(**{self.parameter_name: value})


class RecentValuesFilter(admin.SimpleListFilter):
    """A filter on a plain column whose choices are the values of the latest ``sample_rows`` rows.

    Django's default (``SELECT DISTINCT column``) reads the whole table on every list page; a sample read
    through the time index keeps the sidebar cheap on huge tables. Any value still filters when given in the
    URL, so an old, rare value is only missing from the suggestions.
    """

    parameter_name: str
    recent_ordering: str = "-created_at"
    sample_rows = 10_000

    def lookups(self, request, model_admin):
        rows = scope_queryset(model_admin.model._default_manager.all(), request)
        recent = rows.order_by(self.recent_ordering).values("pk")[: self.sample_rows]
        values = (
            model_admin.model._default_manager.filter(pk__in=recent)
            .order_by(self.parameter_name)
            .values_list(self.parameter_name, flat=True)
            .distinct()
        )
        return [(value, value) for value in values if value]

    def has_output(self):
        return bool(self.lookup_choices) or self.value() is not None

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.parameter_name: value}) if value else queryset


def recent_values_filter(column: str, *, ordering: str = "-created_at") -> type[RecentValuesFilter]:
    return type(
        f"Recent{column.title()}Filter",
        (RecentValuesFilter,),
        {"title": column, "parameter_name": column, "recent_ordering": ordering},
    )


class OrganizationFilter(admin.SimpleListFilter):
    """Shown only to users who see more than one organization."""

    title = "organization"
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        return [(str(organization.pk), organization.name) for organization in organizations_for(request)]

    def has_output(self):
        return len(self.lookup_choices) > 1 or self.value() is not None

    def queryset(self, request, queryset):
        field = "pk" if is_organization_model(queryset.model) else "organization_id"
        return filter_by_uuid(queryset, self.value(), lambda rows, value: rows.filter(**{field: value}))
