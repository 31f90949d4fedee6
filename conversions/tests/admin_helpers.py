"""Helpers of the conversion admin tests, imported by name (their fixtures are in ``conftest.py``)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from conversions.services import conversion_create
from core.tests.admin_helpers import management_form

CHANGELIST = reverse("admin:conversions_conversion_changelist")
ADD = reverse("admin:conversions_conversion_add")


def change_url(obj):
    return reverse(f"admin:conversions_{obj._meta.model_name}_change", args=[obj.pk])


def make_conversion(organization, **fields):
    fields.setdefault("converted_at", timezone.now() - timedelta(hours=2))
    return conversion_create(organization=organization, **fields)[0]


def form_data(**overrides):
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
        **management_form("refunds"),
    }
    data.update(overrides)
    return data
