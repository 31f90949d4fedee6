"""Security of the ways in: the admin login lockout (django-axes), the API's per-key rate and failed-authentication
limit in the shared cache, the one-time page with a new key's secret, and the Content-Security-Policy header.

``check --deploy`` with the documented production environment is tests/test_deploy_checks.py; the policy in a real
browser is tests/test_csp_browser.py.
"""

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.checks import check_rates
from accounts.models import ApiKey
from accounts.security import RateWindow, client_ip
from accounts.services import user_create_staff

PASSWORD = "correct-horse-battery"
LOGIN = "/admin/login/"
CONVERSIONS = "/api/v1/conversions/"


# --- Admin login lockout --------------------------------------------------------------------------------------------


@pytest.fixture
def admin_user(organization):
    return user_create_staff(username="alice", password=PASSWORD, organization=organization)


def _log_in(client: Client, password: str, username: str = "alice", address: str = "203.0.113.7", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address, **headers
    )


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_the_right_password_logs_in_and_a_few_typos_are_forgiven(admin_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "typo").status_code == 200  # the login form again, with its error
    assert _logged_in(_log_in(client, PASSWORD))
    # A success resets the count: the next typos start from zero.
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_fifty_wrong_passwords_then_the_right_one_is_refused_with_the_lockout_page(admin_user):
    client = Client()
    responses = [_log_in(client, f"guess-{index}") for index in range(50)]
    assert {response.status_code for response in responses[: settings.AXES_FAILURE_LIMIT - 1]} == {200}
    assert {response.status_code for response in responses[settings.AXES_FAILURE_LIMIT - 1 :]} == {429}

    response = _log_in(client, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and f"After {settings.AXES_FAILURE_LIMIT} failed logins" in page
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "Content-Security-Policy" in response  # the lockout page is served under the policy too
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(admin_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "wrong")
    assert _log_in(client, PASSWORD).status_code == 429
    # The refused attempt above started the cool-off again; move every attempt past it.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _logged_in(_log_in(client, PASSWORD))


@pytest.mark.django_db
def test_an_administrator_unlocks_with_axes_reset(admin_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "wrong")
    assert _log_in(client, PASSWORD).status_code == 429
    call_command("axes_reset_username", "alice")
    assert _logged_in(_log_in(client, PASSWORD))


@pytest.mark.django_db
def test_the_lockout_is_per_username_and_address(admin_user, organization):
    user_create_staff(username="bob", password=PASSWORD, organization=organization)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(Client(), "wrong", username="alice", address="203.0.113.7")
    assert _log_in(Client(), PASSWORD, username="alice", address="203.0.113.7").status_code == 429
    # The same user from elsewhere, and another user from the same address, are not locked out.
    assert _logged_in(_log_in(Client(), PASSWORD, username="alice", address="198.51.100.1"))
    assert _logged_in(_log_in(Client(), PASSWORD, username="bob", address="203.0.113.7"))


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(admin_user, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for index in range(settings.AXES_FAILURE_LIMIT):
        _log_in(Client(), "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{index}")
    assert _log_in(Client(), PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_client_ip_trusts_only_as_many_forwarded_addresses_as_there_are_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # what our proxy saw; the client wrote 6.6.6.6 itself
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_client_login_without_a_request_still_works(admin_user):
    # Code that authenticates itself (tests, a shell) has no client address: the lockout backend passes it on.
    assert Client().login(username="alice", password=PASSWORD)
    assert not Client().login(username="alice", password="wrong")


# --- API: failed authentications per address ------------------------------------------------------------------------


@pytest.fixture
def failure_rate(settings):
    settings.API_AUTH_FAILURE_RATE = "5/minute"
    return 5


def _get(client: Client, secret: str | None, address: str = "203.0.113.7"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.get(CONVERSIONS, REMOTE_ADDR=address, **headers)


def test_failed_authentications_from_one_address_are_limited(client, api_key_secret, failure_rate):
    for index in range(failure_rate):
        response = _get(client, f"cm_00000000_guess{index}")
        assert response.status_code == 401
    for secret in ("cm_00000000_one-more-guess", api_key_secret, "not even a key"):
        response = _get(client, secret)
        assert response.status_code == 429, secret  # the right key too: a guess that hits must not be told so
        assert response.json()["error"]["type"] == "rate_limited"
        assert 1 <= int(response["Retry-After"]) <= 61
    # Another address, and a request without any key, are not affected.
    assert _get(client, api_key_secret, address="198.51.100.1").status_code == 200
    assert _get(client, None).status_code == 401


def test_the_failure_limit_lifts_once_the_failures_leave_the_window(client, api_key_secret, failure_rate, monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr("accounts.security.time.time", lambda: start)
    for _ in range(failure_rate):
        _get(client, "cm_00000000_wrong")
    assert _get(client, api_key_secret).status_code == 429
    monkeypatch.setattr("accounts.security.time.time", lambda: start + 62)
    assert _get(client, api_key_secret).status_code == 200


def test_requests_without_a_key_or_with_the_right_one_do_not_count_as_failures(client, api_key_secret, failure_rate):
    for _ in range(failure_rate * 2):
        assert _get(client, None).status_code == 401
        assert _get(client, api_key_secret).status_code == 200
    assert _get(client, "cm_00000000_wrong").status_code == 401


def test_a_malformed_rate_is_a_system_check_error(settings):
    assert check_rates() == []
    settings.API_AUTH_FAILURE_RATE = "20 per minute"
    assert [error.id for error in check_rates()] == ["accounts.E001"]


# --- API: the per-key rate, shared by processes ---------------------------------------------------------------------


def test_the_rate_window_admits_the_limit_in_any_period_and_no_more():
    window = RateWindow("test", limit=30, period=60)
    start = 1_800_000_000.0
    admitted = [moment for step in range(240) if not window.admit("key", (moment := start + step * 0.5))]
    # A steady 2 requests a second for 2 minutes: 30 in the first minute, then 30 in each sliding minute.
    assert len(admitted) <= 30 * 2 + 2
    for first in admitted:
        assert sum(1 for moment in admitted if first <= moment < first + 60) <= 30
    # Refused, a client is told to wait at most a period and one bucket.
    wait = window.admit("key", start + 120)
    assert 0 < wait <= 61


SCRIPT = """
import os, sys, uuid
from types import SimpleNamespace
import django
django.setup()
from accounts.authentication import ApiKeyPrincipal
from accounts.checks import check_rates
from accounts.models import ApiKey
from accounts.throttling import ApiKeyRateThrottle
ApiKeyRateThrottle.THROTTLE_RATES = {"api_key": "30/minute"}
request = SimpleNamespace(user=ApiKeyPrincipal(ApiKey(pk=uuid.UUID(sys.argv[1]))))
print(sum(ApiKeyRateThrottle().allow_request(request, None) for _ in range(30)))
"""


def _worker(key_id: str, cache_url: str) -> subprocess.Popen:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "CACHE_URL": cache_url}
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, key_id],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _admitted(worker: subprocess.Popen) -> int:
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    return int(out)


def test_two_processes_share_one_key_rate(tmp_path):
    """The issue: two gunicorn workers let 60 requests of a 30/minute key through. Two processes (one after the
    other here: the file cache's increments are not atomic across processes; Redis's are) admit 30 in all."""
    key_id = str(uuid.uuid4())
    cache_url = f"filecache://{tmp_path}"
    admitted = [_admitted(_worker(key_id, cache_url)) for _ in range(2)]
    assert admitted == [30, 0]


@pytest.mark.redis_cache
def test_two_concurrent_processes_on_redis_admit_exactly_the_rate():
    key_id = str(uuid.uuid4())
    workers = [_worker(key_id, settings.CACHES["default"]["LOCATION"]) for _ in range(2)]
    admitted = sum(_admitted(worker) for worker in workers)
    # Never more than the rate (increments are atomic); a request refused in a race may leave it a little under.
    assert 15 <= admitted <= 30


# --- The new key's secret: in the page only -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_secret_is_in_the_page_body_and_in_no_cookie_message_or_session(admin_a):
    response = admin_a.post(reverse("admin:accounts_apikey_add"), {"name": "checkout"})

    assert response.status_code == 200
    api_key = ApiKey.objects.get(name="checkout")
    page = response.content.decode()
    secret = page.split('id="api-key-secret"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith(f"{api_key.prefix}_") and len(secret) > 40
    assert "no-store" in response["Cache-Control"]
    assert all(secret not in morsel.OutputString() for morsel in response.cookies.values())
    assert "messages" not in response.cookies and "messages" not in admin_a.cookies
    assert not any(secret in str(session.get_decoded()) for session in Session.objects.all())
    # The next page shows no message with it, and the key's own page shows only its prefix.
    for url in (
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_change", args=[api_key.pk]),
    ):
        following = admin_a.get(url)
        assert secret not in following.content.decode()
        assert not list(following.context["messages"])


def test_create_api_key_command_still_prints_the_secret(organization):
    from io import StringIO

    out = StringIO()
    call_command("create_api_key", organization.slug, "--name", "cli", stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("cm_")


# --- Content-Security-Policy ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_and_api_docs_are_served_with_a_policy_without_inline_scripts(admin_a):
    for url in ("/admin/", "/admin/login/", "/api/v1/docs/", reverse("admin:accounts_apikey_changelist")):
        policy = admin_a.get(url)["Content-Security-Policy"]
        directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
        assert directives["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    docs = admin_a.get("/api/v1/docs/").content.decode()
    assert "<script>" not in docs  # Swagger UI's start-up script is a file of its own (?script)
    assert admin_a.get("/api/v1/docs/?script=").status_code == 200


def test_the_repository_has_no_inline_script_in_its_templates():
    templates = [path for path in Path(settings.BASE_DIR).glob("*/templates/**/*.html")]
    templates += list(Path(settings.BASE_DIR, "templates").glob("**/*.html"))
    assert templates
    for path in templates:
        html = path.read_text()
        for tag in html.split("<script")[1:]:
            assert "src=" in tag.split(">")[0] or 'type="application/json"' in tag.split(">")[0], path


def test_an_unreachable_shared_cache_lets_api_requests_through_and_logs_it(api, monkeypatch, caplog):
    """Redis (the shared cache) stopped: the limits pause, the API keeps answering (no 500 for a cache outage)."""
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rest_framework.test import APIClient

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for method in ("get_many", "add", "incr", "set", "touch", "decr", "get"):
        monkeypatch.setattr(cache, method, unreachable)
    with caplog.at_level("WARNING", logger="accounts.security"):
        response = api.get("/api/v1/conversions/")
        refused = APIClient().get("/api/v1/conversions/", HTTP_AUTHORIZATION="Bearer cm_00000000_wrong")
    assert response.status_code == 200
    assert refused.status_code == 401  # authentication itself still decides
    assert "not enforced: the shared cache is unreachable" in caplog.text
