"""Fixtures shared by every app's tests: organizations, API keys, authenticated API clients."""

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create, organization_create
from config.celery import app as celery_app

# Tests run Celery tasks eagerly (in-process); the integration tests in .ci/run use a real worker instead.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organization(db):
    return organization_create(slug="acme", name="Acme", reference_currency="EUR", timezone_name="Europe/Prague")


@pytest.fixture
def other_organization(db):
    return organization_create(slug="globex", name="Globex", reference_currency="USD", timezone_name="UTC")


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api_key_secret(organization):
    return api_key_create(organization=organization, name="test")[1]


@pytest.fixture
def api(api_key_secret):
    """An API client authenticated with a read-write key of ``organization``."""
    return _client(api_key_secret)


@pytest.fixture
def read_only_api(organization):
    return _client(api_key_create(organization=organization, name="reader", read_only=True)[1])


@pytest.fixture
def other_api(other_organization):
    """An API client of a second organization, for tenancy tests."""
    return _client(api_key_create(organization=other_organization, name="other")[1])


CHROMIUM_PATH = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Deselect what this machine cannot run: integration tests need a broker a worker can share (Redis),
    browser tests need Debian's Chromium. .ci/run provides both, so CI runs everything."""
    import os

    from django.conf import settings

    unavailable = set()
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        unavailable.add("integration")
    if not os.path.exists(CHROMIUM_PATH):
        unavailable.add("browser")
    selected = [item for item in items if not unavailable & set(item.keywords)]
    deselected = [item for item in items if unavailable & set(item.keywords)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
