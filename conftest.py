"""Root conftest: test settings, the shared fixtures, and what this machine cannot run.

The fixtures every app's tests share (organizations, API keys and clients, staff in the admin) are in
``accounts/tests/fixtures.py``, loaded below; ``pytest_plugins`` is declared here only. Factories live in the app
that owns the model (``<app>/tests/factories.py``); the shared API contract is ``core/tests/api_contract.py``.
"""

import os
from pathlib import Path

import pytest

# Helper modules with assertions that test modules import: rewritten so that a failing assert shows its values.
pytest.register_assert_rewrite("core.tests.api_contract", "core.tests.admin_helpers")

from config.celery import app as celery_app  # noqa: E402 - after the assertion rewriting is registered

pytest_plugins = ["accounts.tests.fixtures"]


def _redis_databases_of_this_process() -> None:
    """Parallel test processes (pytest-xdist) each use Redis databases of their own, for the cache and the broker.
    Every test clears the cache (FLUSHDB on Redis), which must not wipe another process's rate limits in the middle
    of its test; and a real worker started by one process must not take the tasks of another, whose test database
    it cannot see. Process N adds N to the cache's database and uses database 8 + N of the broker's server."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    number = int(worker[2:])
    cache = str(settings.CACHES["default"].get("LOCATION", ""))
    if cache.startswith("redis://"):
        base, _, database = cache.rpartition("/")
        settings.CACHES["default"]["LOCATION"] = f"{base}/{int(database or 0) + number}"
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        settings.CELERY_BROKER_URL = f"{settings.CELERY_BROKER_URL.rpartition('/')[0]}/{8 + number}"
        os.environ["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL  # Celery reads the variable before its setting


_redis_databases_of_this_process()

# Tests run Celery tasks eagerly (in-process); the integration tests in .ci/run use a real worker instead.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Schemathesis over the whole schema takes minutes: its own step in .ci/run (SCHEMATHESIS=1), not part of make test.
collect_ignore = [] if os.environ.get("SCHEMATHESIS") else ["tests/test_schemathesis.py"]

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip
BROWSER_ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"  # screenshots, kept by CI


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright (browser tests; .ci/run installs it)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def pytest_collection_modifyitems(config, items):
    """Deselect what this machine cannot run: integration tests need a broker a worker can share (Redis),
    browser tests need Debian's Chromium. .ci/run provides both, so CI runs everything."""
    import os

    from django.conf import settings

    unavailable = set()
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        unavailable.add("integration")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        unavailable.add("postgres")
    if not str(settings.CACHES["default"].get("LOCATION", "")).startswith("redis"):
        unavailable.add("redis_cache")
    if not os.path.exists(CHROMIUM_PATH):
        unavailable.add("browser")
    selected = [item for item in items if not unavailable & set(item.keywords)]
    deselected = [item for item in items if unavailable & set(item.keywords)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
