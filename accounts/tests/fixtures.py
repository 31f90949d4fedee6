"""Fixtures every app's tests share, loaded by ``pytest_plugins`` in the root conftest (no import needed).

Accounts owns organizations, API keys and staff users, so their fixtures live here:

- API: ``organization`` (A, Europe/Prague, EUR) and ``other_organization`` (B, UTC, USD); ``api_key_secret`` and an
  authenticated ``api`` client of A, a ``read_only_api`` of A, an ``other_api`` of B, a ``revocable_api_key`` of A
  and ``api_rate_limit`` to lower the per-key rate of the API throttle.
- Admin: staff members of A (``staff_a``) and B (``staff_b``), a ``superuser``, and a logged-in Django test client
  for each (``admin_a``, ``admin_b``, ``admin_root``).
- The shared cache (rate limits, failed-authentication counts): the run's own directory, or the cache ``CACHE_URL``
  names (CI: Redis), emptied before every test.
"""

import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_create, api_key_revoke, organization_create, user_create_staff
from accounts.throttling import ApiKeyRateThrottle

# --- The shared cache -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _cache_of_this_run(tmp_path_factory):
    """Not the app's var/cache/ (a running ``make run`` shares it): a file cache of this run's own, unless
    ``CACHE_URL`` names one (CI runs the suite against Redis)."""
    if os.environ.get("CACHE_URL"):
        yield
        return
    location = str(tmp_path_factory.mktemp("cache"))
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": location}}
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with no counts: failed authentications of earlier tests do not rate-limit it."""
    cache.clear()


# --- Organizations and API clients ----------------------------------------------------------------------------------


@pytest.fixture
def organization(db):
    return organization_create(slug="acme", name="Acme", reference_currency="EUR", timezone_name="Europe/Prague")


@pytest.fixture
def other_organization(db):
    return organization_create(slug="globex", name="Globex", reference_currency="USD", timezone_name="UTC")


def _api_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api_key_secret(organization):
    return api_key_create(organization=organization, name="test")[1]


@pytest.fixture
def api(api_key_secret):
    """An API client authenticated with a read-write key of ``organization``."""
    return _api_client(api_key_secret)


@pytest.fixture
def read_only_api(organization):
    return _api_client(api_key_create(organization=organization, name="reader", read_only=True)[1])


@pytest.fixture
def other_api(other_organization):
    """An API client of a second organization, for tenancy tests."""
    return _api_client(api_key_create(organization=other_organization, name="other")[1])


@dataclass(frozen=True)
class RevocableApiKey:
    api_key: ApiKey
    secret: str

    def revoke(self) -> None:
        api_key_revoke(api_key=self.api_key)

    @property
    def is_revoked(self) -> bool:
        return ApiKey.objects.get(pk=self.api_key.pk).revoked_at is not None


@pytest.fixture
def revocable_api_key(organization) -> RevocableApiKey:
    """A read-write key of ``organization`` that the test revokes through the service."""
    api_key, secret = api_key_create(organization=organization, name="soon revoked")
    return RevocableApiKey(api_key, secret)


@pytest.fixture
def api_rate_limit(monkeypatch):
    """``api_rate_limit("3/minute")`` sets the per-key rate of the API throttle; the throttle cache starts and
    ends empty."""
    cache.clear()

    def set_rate(rate: str) -> None:
        monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {ApiKeyRateThrottle.scope: rate})

    yield set_rate
    cache.clear()


# --- Staff in the admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def staff_a(organization):
    return user_create_staff(username="staff-a", password="unused-password-a", organization=organization)


@pytest.fixture
def staff_b(other_organization):
    return user_create_staff(username="staff-b", password="unused-password-b", organization=other_organization)


@pytest.fixture
def superuser(db):
    return user_create_staff(username="root", password="unused-password-root", superuser=True)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_a(staff_a):
    """The admin as a staff member of organization A only."""
    return _logged_in(staff_a)


@pytest.fixture
def admin_b(staff_b):
    """The admin as a staff member of organization B only."""
    return _logged_in(staff_b)


@pytest.fixture
def admin_root(superuser):
    return _logged_in(superuser)
