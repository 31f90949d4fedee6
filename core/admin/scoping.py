"""Which organizations a staff user acts for in the admin, and the one function that scopes a queryset to them.

Every admin screen, list filter, foreign-key choice, autocomplete and import goes through ``scope_queryset``;
superusers see everything.
"""

from django.db import models

from ..tenancy import get_membership_model, get_tenant_model, has_organization_field, is_organization_model


def user_organization_ids(request) -> frozenset:
    """Ids of the organizations the requesting staff user is a member of (cached on the request)."""
    cached = getattr(request, "_admin_organization_ids", None)
    if cached is None:
        memberships = get_membership_model().objects.filter(user_id=request.user.pk)
        cached = frozenset(memberships.values_list("organization_id", flat=True))
        request._admin_organization_ids = cached
    return cached


def organizations_for(request) -> models.QuerySet:
    """The organizations a staff user may act for: all of them for a superuser."""
    if request.user.is_superuser:
        return get_tenant_model().objects.all()
    return get_tenant_model().objects.filter(pk__in=user_organization_ids(request))


def scope_queryset(queryset: models.QuerySet, request) -> models.QuerySet:
    """Rows of ``queryset`` the requesting staff user may see; rows of models without an organization pass.

    Filtered by the (request-cached) list of organization ids rather than a join through memberships: the
    literal ``organization_id IN (…)`` lets the database walk the ``(organization, -time)`` indexes, where the
    join made it sort the whole tenant (measured on 50k conversions, SQLite: first list page 193 ms with the
    join, 5 ms with the id list).
    """
    if request.user.is_superuser:
        return queryset
    if is_organization_model(queryset.model):
        return queryset.filter(pk__in=user_organization_ids(request))
    if has_organization_field(queryset.model):
        return queryset.filter(organization_id__in=user_organization_ids(request))
    return queryset


def single_organization(request):
    """The organization new objects go to when the user has no choice to make (exactly one membership)."""
    if request.user.is_superuser:
        return None
    ids = user_organization_ids(request)
    if len(ids) != 1:
        return None
    if getattr(request, "_admin_single_organization", None) is None:
        request._admin_single_organization = get_tenant_model().objects.get(pk=next(iter(ids)))
    return request._admin_single_organization
