"""The admin as a whole: every screen shows, every screen is tenant-scoped, across the models of every app.

These tests need every app's models and services, so they live in this project-level package, outside the layers
of import-linter. Each app's own screens are tested in ``<app>/tests/test_admin.py``.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services import api_key_create, user_create_staff
from contacts.services import contact_create
from conversions.services import campaign_create, conversion_create, delivery_create, touchpoint_create
from core.admin.mixins import DerivedRowsAdmin
from core.tests.admin_helpers import changelist_query_counts


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _tenant_rows(organization, tag):
    """One row of every tenant model for ``organization``, created through the services."""
    contact = contact_create(organization=organization, email=f"{tag}@example.test")
    campaign = campaign_create(organization=organization, name=f"campaign-{tag}")
    delivery = delivery_create(organization=organization, name=f"delivery-{tag}", campaign=campaign)
    touchpoint = touchpoint_create(
        organization=organization, contact=contact, delivery=delivery, kind="click", occurred_at=timezone.now()
    )
    conversion, _ = conversion_create(
        organization=organization, contact=contact, order_id=f"order-{tag}", converted_at=timezone.now()
    )
    api_key, _ = api_key_create(organization=organization, name=f"key-{tag}")
    return {
        "organization": organization,
        "membership": Membership.objects.filter(organization=organization).first(),
        "contact": contact,
        "campaign": campaign,
        "delivery": delivery,
        "touchpoint": touchpoint,
        "conversion": conversion,
        "api_key": api_key,
        "historical_contact": contact.history.first(),
        "historical_campaign": campaign.history.first(),
        "historical_delivery": delivery.history.first(),
        "historical_conversion": conversion.history.first(),
        "attribution": conversion.attributions.get(),
    }


TENANT_ROWS = (
    "organization", "membership", "contact", "campaign", "delivery", "touchpoint", "conversion", "api_key",
    "historical_contact", "historical_campaign", "historical_delivery", "historical_conversion", "attribution",
)  # fmt: skip


@pytest.fixture
def rows_a(organization, staff_a):
    return _tenant_rows(organization, "aaa")


@pytest.fixture
def rows_b(other_organization, staff_b):
    return _tenant_rows(other_organization, "bbb")


# --- Every screen shows ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_superuser_sees_every_screen_including_celery_schedules_and_results(admin_root, rows_a, rows_b):
    index = admin_root.get(reverse("admin:index")).content.decode()
    for title in ("Periodic tasks", "Task results", "Conversions", "Contacts", "API keys", "Historical conversions"):
        assert title in index, title
    for model, model_admin in admin.site._registry.items():
        assert admin_root.get(_changelist(model)).status_code == 200, model
        add = admin_root.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
        assert add.status_code == (403 if isinstance(model_admin, DerivedRowsAdmin) else 200), model


@pytest.mark.django_db
def test_a_staff_member_sees_their_organizations_screens_only(admin_a, rows_a):
    index = admin_a.get(reverse("admin:index")).content.decode()
    for title in ("Conversions", "Contacts", "Campaigns", "Deliveries", "Touchpoints", "API keys", "Exchange rates"):
        assert title in index, title
    assert "Periodic tasks" not in index and "Users" not in index
    for name in TENANT_ROWS:
        response = admin_a.get(_change(rows_a[name]))
        assert response.status_code == 200, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", TENANT_ROWS)
def test_another_organizations_rows_are_not_listed_and_do_not_exist(admin_a, rows_a, rows_b, name):
    theirs, mine = rows_b[name], rows_a[name]
    listing = admin_a.get(_changelist(type(theirs))).content.decode()
    assert _change(mine) in listing
    assert _change(theirs) not in listing
    assert admin_a.get(_change(theirs)).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model_name", "field_name", "target"),
    [
        ("conversion", "contact", "contact"),
        ("conversion", "campaign", "campaign"),
        ("conversion", "delivery", "delivery"),
        ("touchpoint", "contact", "contact"),
        ("delivery", "campaign", "campaign"),
    ],
)
def test_autocomplete_never_offers_another_organizations_rows(admin_a, rows_a, rows_b, model_name, field_name, target):
    params = {"app_label": "conversions", "model_name": model_name, "field_name": field_name, "term": ""}
    results = admin_a.get("/admin/autocomplete/", params).json()["results"]
    assert [item["id"] for item in results] == [str(rows_a[target].pk)]


@pytest.mark.django_db
def test_a_staff_user_without_membership_sees_no_tenant_data(db, rows_a):
    loner = user_create_staff(username="loner", password="unused-password-l")
    client = Client()
    client.force_login(loner)
    assert "Conversions" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(_changelist(type(rows_a["conversion"]))).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", TENANT_ROWS)
def test_changelist_queries_do_not_grow_with_rows(
    admin_a, organization, staff_a, name, monkeypatch, django_assert_max_num_queries
):
    rows = [_tenant_rows(organization, f"row{index}") for index in range(8)]
    model = type(rows[0][name])
    with django_assert_max_num_queries(20):
        response = admin_a.get(_changelist(model))
    assert response.status_code == 200
    page_of_one, page_of_fifty = changelist_query_counts(admin_a, model, monkeypatch)
    assert page_of_one == page_of_fifty


@pytest.mark.django_db
@pytest.mark.parametrize("model_path", ["contacts/contact", "conversions/conversion"])
@pytest.mark.parametrize("page", ["import", "export"])
def test_import_and_export_pages_show(admin_a, admin_root, organization, model_path, page):
    for client in (admin_a, admin_root):
        response = client.get(f"/admin/{model_path}/{page}/")
        assert response.status_code == 200
        assert 'type="submit"' in response.content.decode()
    assert 'name="organization"' in admin_root.get(f"/admin/{model_path}/import/").content.decode()
