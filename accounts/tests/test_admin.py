"""The account screens of the admin: organizations, memberships and API keys, written through ``accounts.services``.

The admin as a whole (every screen shows and is tenant-scoped across every app's models) is tested in
tests/test_admin_site.py.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, Membership, Organization
from accounts.services import api_key_create, user_create_staff


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- API keys -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_key_shows_its_secret_once_and_stores_only_a_hash(admin_a, organization):
    response = admin_a.post(reverse("admin:accounts_apikey_add"), {"name": "shop", "read_only": "on"})
    assert response.status_code == 200  # the page with the secret itself, not a redirect to a message
    api_key = ApiKey.objects.get(name="shop")
    assert api_key.organization == organization and api_key.read_only
    page = response.content.decode()
    secret = re.search(r'id="api-key-secret"[^>]*value="([^"]+)"', page).group(1)
    assert secret.startswith(api_key.prefix) and "never be shown again" in page
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
def test_per_kind_settings_are_edited_in_the_form_and_kept_when_left_out(admin_a, organization):
    base = {"name": "Acme", "default_attribution_model": "last_touch", "default_attribution_window": "7"}
    edited = {
        "click_window_days": "3",
        "open_window_days": "30",
        "count_opens": "false",
        "exclude_machine_opens": "false",
    }
    assert admin_a.post(_change(organization), {**base, **edited}).status_code == 302
    organization.refresh_from_db()
    settings = (organization.click_window_days, organization.open_window_days)
    assert settings + (organization.count_opens, organization.exclude_machine_opens) == (3, 30, False, False)
    assert admin_a.post(_change(organization), {**base, "name": "Acme 2"}).status_code == 302
    organization.refresh_from_db()
    assert (organization.name, organization.click_window_days, organization.count_opens) == ("Acme 2", 3, False)


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "status"), [("0", 200), ("1", 302), ("90", 302), ("91", 200)])
def test_click_and_open_window_limits_in_the_form(admin_a, organization, days, status):
    base = {"name": "Acme", "default_attribution_model": "last_touch", "default_attribution_window": "7"}
    response = admin_a.post(_change(organization), {**base, "click_window_days": days, "open_window_days": days})
    assert response.status_code == status
    organization.refresh_from_db()
    assert (organization.click_window_days == int(days)) == (status == 302)
    assert (organization.open_window_days == int(days)) == (status == 302)
