"""``/api/v1/organization/``: the key's own organization, read by any key, its settings changed by a read-write
key; every limit refused with a 400 that stores nothing."""

import pytest

from accounts.models import Organization

URL = "/api/v1/organization/"
SETTINGS = {
    "default_attribution_model": "last_touch",
    "default_attribution_window": 7,
    "click_window_days": 7,
    "open_window_days": 7,
    "count_opens": True,
    "exclude_machine_opens": True,
}


def _stored(organization) -> dict:
    organization = Organization.objects.get(pk=organization.pk)
    return {name: getattr(organization, name) for name in [*SETTINGS, "name"]}


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL.rstrip("/")])
def test_get_answers_the_keys_organization_with_its_settings(api, organization, other_organization, url):
    response = api.get(url)
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert data == {
        "id": str(organization.pk),
        "slug": "acme",
        "name": "Acme",
        "reference_currency": "EUR",
        "timezone": "Europe/Prague",
        **SETTINGS,
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }


@pytest.mark.django_db
def test_read_only_key_may_read_but_not_patch(read_only_api, organization):
    assert read_only_api.get(URL).status_code == 200
    response = read_only_api.patch(URL, {"click_window_days": 3}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert _stored(organization)["click_window_days"] == 7


@pytest.mark.django_db
def test_patch_changes_the_settings_it_names(api, organization):
    body = {
        "name": "Acme Inc.",
        "default_attribution_model": "time_decay",
        "default_attribution_window": 30,
        "click_window_days": 3,
        "open_window_days": 14,
        "count_opens": False,
        "exclude_machine_opens": False,
    }
    response = api.patch(URL, body, format="json")
    assert response.status_code == 200, response.json()
    assert {name: response.json()["data"][name] for name in body} == body
    assert _stored(organization) == body


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["click_window_days", "open_window_days", "default_attribution_window"])
@pytest.mark.parametrize(("days", "status"), [(0, 400), (1, 200), (90, 200), (91, 400)])
def test_window_limits(api, organization, field, days, status):
    before = _stored(organization)
    response = api.patch(URL, {field: days}, format="json")
    assert response.status_code == status, response.json()
    if status == 400:
        assert field in response.json()["error"]["fields"]
        assert _stored(organization) == before
    else:
        assert _stored(organization)[field] == days


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organization": "x"}, "organization"),
        ({"colour": "red"}, "colour"),
        ({"default_attribution_model": "u_shaped"}, "default_attribution_model"),
        ({"count_opens": "yes"}, "count_opens"),
    ],
)
def test_unknown_and_invalid_fields_are_a_400_that_changes_nothing(api, organization, body, field):
    before = _stored(organization)
    response = api.patch(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert _stored(organization) == before
    assert Organization.objects.get(pk=organization.pk).slug == "acme"


@pytest.mark.django_db
def test_read_only_fields_are_ignored_like_everywhere_in_the_api(api, organization):
    """A GET's body sent back as a PATCH is accepted: slug, currency and zone stay what they are."""
    body = api.get(URL).json()["data"]
    response = api.patch(URL, {**body, "slug": "other", "reference_currency": "USD", "timezone": "UTC"}, format="json")
    assert response.status_code == 200, response.json()
    stored = Organization.objects.get(pk=organization.pk)
    assert (stored.slug, stored.reference_currency, stored.timezone) == ("acme", "EUR", "Europe/Prague")


@pytest.mark.django_db
def test_empty_body_is_a_400(api, organization):
    response = api.generic("PATCH", URL, "", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_other_methods_are_405(api, organization, method):
    response = getattr(api, method)(URL, {"name": "x"}, format="json")
    assert response.status_code == 405
    assert _stored(organization)["name"] == "Acme"


@pytest.mark.django_db
def test_each_key_sees_and_changes_only_its_own_organization(api, other_api, organization, other_organization):
    assert other_api.get(URL).json()["data"]["slug"] == "globex"
    assert other_api.patch(URL, {"open_window_days": 30}, format="json").status_code == 200
    assert _stored(organization)["open_window_days"] == 7
    assert _stored(other_organization)["open_window_days"] == 30


@pytest.mark.django_db
def test_no_key_is_a_401(client, organization):
    assert client.get(URL).status_code == 401
