"""Helpers and fixtures of the conversion admin tests.

The fixtures are imported with ``from conversions.tests.admin_helpers import *``, the helpers by name.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.admin_fixtures import management_form
from conversions.services import conversion_create

__all__ = ["conversion_a", "conversion_b"]

CHANGELIST = reverse("admin:conversions_conversion_changelist")
ADD = reverse("admin:conversions_conversion_add")


def _change_url(obj):
    return reverse(f"admin:conversions_{obj._meta.model_name}_change", args=[obj.pk])


def _conversion(organization, **fields):
    fields.setdefault("converted_at", timezone.now() - timedelta(hours=2))
    return conversion_create(organization=organization, **fields)[0]


def _form_data(**overrides):
    """A complete add/change form of a conversion, as the browser posts it."""
    data = {
        "converted_at_0": "2024-05-01",
        "converted_at_1": "10:00:00",
        "type": "purchase",
        "status": "approved",
        "count": "1",
        "revenue": "100.00",
        "revenue_without_tax": "",
        "currency": "",
        "order_id": "",
        "attribution_model": "",
        "attribution_window": "",
        "origin": "",
        "country": "",
        "coupon_code": "",
        "notes": "",
        "metadata": "{}",
        **management_form("attributions"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def conversion_a(organization):
    return _conversion(organization, order_id="A-1", email="buyer@acme.test", revenue="100.00")


@pytest.fixture
def conversion_b(other_organization):
    return _conversion(other_organization, order_id="B-1", email="buyer@globex.test", revenue="7.00")
