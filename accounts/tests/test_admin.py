"""The admin as a whole: every screen shows, every screen is tenant-scoped, and the account screens (organizations,
memberships, API keys) write through ``accounts.services``."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Membership, Organization
from accounts.services import api_key_create, user_create_staff
from accounts.tests.admin_fixtures import *  # noqa: F403 - pytest fixtures
from contacts.services import contact_create
from conversions.services import campaign_create, conversion_create, delivery_create, touchpoint_create
from core.admin.mixins import DerivedRowsAdmin


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


# --- API keys -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_key_shows_its_secret_once_and_stores_only_a_hash(admin_a, organization):
    response = admin_a.post(reverse("admin:accounts_apikey_add"), {"name": "shop", "read_only": "on"}, follow=True)
    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="shop")
    assert api_key.organization == organization and api_key.read_only
    messages = [str(message) for message in response.context["messages"]]
    secret = next(message for message in messages if "never be shown again" in message).split("is: ")[1].split()[0]
    assert secret.startswith(api_key.prefix)
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    for url in (_changelist(ApiKey), _change(api_key)):
        page = admin_a.get(url).content.decode()
        assert secret not in page and api_key.secret_hash not in page
        assert api_key.prefix in page


@pytest.mark.django_db
def test_key_list_shows_name_prefix_read_only_revoked_and_last_use(admin_a, organization):
    api_key, secret = api_key_create(organization=organization, name="warehouse", read_only=True)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(days=1))
    page = admin_a.get(_changelist(ApiKey)).content.decode()
    assert "warehouse" in page and api_key.prefix in page
    assert "field-read_only" in page and "field-revoked" in page and "field-last_used_at" in page
    assert secret not in page and api_key.secret_hash not in page


@pytest.mark.django_db
def test_revoke_action_calls_the_service_and_keeps_other_organizations_keys(admin_a, organization, other_organization):
    mine, _ = api_key_create(organization=organization, name="mine")
    theirs, _ = api_key_create(organization=other_organization, name="theirs")
    response = admin_a.post(
        _changelist(ApiKey), {"action": "revoke", "_selected_action": [str(mine.pk), str(theirs.pk)]}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.is_revoked and not theirs.is_revoked


@pytest.mark.django_db
def test_keys_are_not_deleted_by_staff_members(admin_a, organization):
    api_key, _ = api_key_create(organization=organization)
    response = admin_a.post(reverse("admin:accounts_apikey_delete", args=[api_key.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert ApiKey.objects.filter(pk=api_key.pk).exists()


# --- Organizations and memberships ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_renames_their_organization_but_cannot_create_one(admin_a, organization):
    assert admin_a.get(reverse("admin:accounts_organization_add")).status_code == 403
    response = admin_a.post(
        _change(organization),
        {"name": "Acme Corp", "default_attribution_model": "linear", "default_attribution_window": "14"},
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Acme Corp" and organization.default_attribution_window == 14
    assert organization.slug == "acme" and organization.reference_currency == "EUR"


@pytest.mark.django_db
@pytest.mark.parametrize(("window", "status"), [("0", 200), ("1", 302), ("90", 302), ("91", 200)])
def test_attribution_window_default_limits(admin_a, organization, window, status):
    response = admin_a.post(
        _change(organization),
        {"name": "Acme", "default_attribution_model": "last_touch", "default_attribution_window": window},
    )
    assert response.status_code == status
    organization.refresh_from_db()
    assert (organization.default_attribution_window == int(window)) == (status == 302)


@pytest.mark.django_db
def test_a_superuser_creates_organizations_through_the_service(admin_root):
    add_url = reverse("admin:accounts_organization_add")
    data = {
        "slug": "initech",
        "name": "Initech",
        "reference_currency": "czk",
        "timezone": "Europe/Prague",
        "default_attribution_model": "last_touch",
        "default_attribution_window": "7",
    }
    assert admin_root.post(add_url, {**data, "reference_currency": "XXY"}).status_code == 200
    assert admin_root.post(add_url, data).status_code == 302
    assert Organization.objects.get(slug="initech").reference_currency == "CZK"


@pytest.mark.django_db
def test_memberships_are_visible_to_members_and_managed_by_superusers(admin_a, admin_root, organization, staff_a):
    assert admin_a.get(reverse("admin:accounts_membership_add")).status_code == 403
    assert "staff-a" in admin_a.get(_changelist(Membership)).content.decode()
    newcomer = user_create_staff(username="newcomer", password="unused-password-n")
    response = admin_root.post(
        reverse("admin:accounts_membership_add"), {"organization": str(organization.pk), "user": str(newcomer.pk)}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    delete_url = reverse("admin:accounts_membership_delete", args=[membership.pk])
    assert admin_a.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_root.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
def test_a_staff_user_without_membership_sees_no_tenant_data(db, rows_a):
    from django.test import Client

    loner = user_create_staff(username="loner", password="unused-password-l")
    client = Client()
    client.force_login(loner)
    assert "Conversions" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(_changelist(type(rows_a["conversion"]))).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", TENANT_ROWS)
def test_changelist_queries_do_not_grow_with_rows(admin_a, organization, staff_a, name, django_assert_max_num_queries):
    rows = [_tenant_rows(organization, f"row{index}") for index in range(8)]
    with django_assert_max_num_queries(20):
        response = admin_a.get(_changelist(type(rows[0][name])))
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("model_path", ["contacts/contact", "conversions/conversion"])
@pytest.mark.parametrize("page", ["import", "export"])
def test_import_and_export_pages_show(admin_a, admin_root, organization, model_path, page):
    for client in (admin_a, admin_root):
        response = client.get(f"/admin/{model_path}/{page}/")
        assert response.status_code == 200
        assert 'type="submit"' in response.content.decode()
    assert 'name="organization"' in admin_root.get(f"/admin/{model_path}/import/").content.decode()
