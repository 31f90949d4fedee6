"""The filters every app's FilterSets share (core/filtersets.py), used directly on a model of Django's own.

Each app's FilterSets (built on these) are tested in ``<app>/tests/test_filtersets.py``.
"""

from types import SimpleNamespace

import django_filters
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from core.filtersets import (
    InRangeIsoDateTimeField,
    IsoDateTimeFilter,
    LowerCaseFilter,
    TenantFilterSet,
    UpperCaseFilter,
    organization_rows,
)


class UserFilterSet(django_filters.FilterSet):
    username = LowerCaseFilter()
    last_name = UpperCaseFilter()
    joined_after = IsoDateTimeFilter(field_name="date_joined", lookup_expr="gte")

    class Meta:
        model = User
        fields = ["username", "last_name", "joined_after"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_date_time_out_of_range_in_utc_is_a_validation_error(value):
    with pytest.raises(ValidationError) as error:
        InRangeIsoDateTimeField().clean(value)
    assert error.value.code == "overflow"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:30:00-00:30"])
def test_a_date_time_just_inside_the_range_is_accepted(value):
    assert InRangeIsoDateTimeField().clean(value).year in (1, 9999)


@pytest.mark.django_db
def test_the_date_time_filter_is_valid_inside_the_range_and_an_error_outside():
    user = User.objects.create(username="alice")
    inside = UserFilterSet(data={"joined_after": "0001-01-01T00:00:00Z"}, queryset=User.objects.all())
    assert inside.is_valid() and list(inside.qs) == [user]
    outside = UserFilterSet(data={"joined_after": "0001-01-01T00:00:00+01:00"}, queryset=User.objects.all())
    assert not outside.is_valid()
    assert "joined_after" in outside.errors


@pytest.mark.django_db
def test_case_filters_compare_in_the_stored_case_whatever_case_is_sent():
    alice = User.objects.create(username="alice", last_name="DOE")
    User.objects.create(username="bob", last_name="ROE")
    for data in ({"username": " ALICE "}, {"last_name": "doe "}, {"username": "Alice", "last_name": "Doe"}):
        filterset = UserFilterSet(data=data, queryset=User.objects.all())
        assert filterset.is_valid()
        assert list(filterset.qs) == [alice], data
    assert UserFilterSet(data={"username": ""}, queryset=User.objects.all()).qs.count() == 2  # empty: no filter


def test_organization_rows_offers_only_the_requesting_organizations_rows():
    class Manager:
        def none(self):
            return "no rows"

        def for_organization(self, organization):
            return f"rows of {organization}"

    choices = organization_rows(SimpleNamespace(objects=Manager()))
    assert choices(SimpleNamespace(user=SimpleNamespace(organization="acme"))) == "rows of acme"
    # No request (direct FilterSet use, schema generation) or no organization: nothing to choose from.
    assert choices(None) == "no rows"
    assert choices(SimpleNamespace(user=None)) == "no rows"


def test_every_tenant_filterset_filters_by_creation_time():
    assert set(TenantFilterSet.base_filters) == {"created_after", "created_before"}
    created_after, created_before = TenantFilterSet.base_filters.values()
    assert (created_after.field_name, created_after.lookup_expr) == ("created_at", "gte")
    assert (created_before.field_name, created_before.lookup_expr) == ("created_at", "lte")
    assert all(isinstance(f, IsoDateTimeFilter) for f in TenantFilterSet.base_filters.values())
