"""``manage.py check --deploy`` with the production environment exactly as docs/operations.md documents it.

The environment is read from the documentation itself (the block after the ``production-environment`` marker), so
the documented block and the settings cannot drift apart. Each run is a fresh ``manage.py`` process: the settings
module reads the environment once, at import.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

DOCS = Path(settings.BASE_DIR) / "docs" / "operations.md"
MARKER = "<!-- production-environment"
PLACEHOLDER = re.compile(r"^<.*>$")


def documented_environment() -> dict[str, str]:
    text = DOCS.read_text()
    block = text[text.index(MARKER) :]
    block = block[block.index("```") :]
    body = block.split("\n", 1)[1].split("```", 1)[0]
    environment = {}
    for line in body.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            environment[name.strip()] = value.strip()
    return environment


def _check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess:
    # Only the documented variables (and what Python needs): nothing of this machine's or CI's environment leaks in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **environment}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production_environment() -> dict[str, str]:
    environment = documented_environment()
    placeholders = {name for name, value in environment.items() if PLACEHOLDER.match(value)}
    assert placeholders == {"SECRET_KEY"}, "only the secret key is left for the operator to generate"
    environment["SECRET_KEY"] = secrets.token_urlsafe(50)  # what the documented command prints
    return environment


def test_the_documented_production_environment_sets_every_deploy_setting(production_environment):
    assert {
        "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CACHE_URL", "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    } <= set(production_environment)  # fmt: skip
    assert production_environment["DEBUG"] == "false"
    assert production_environment["CACHE_URL"].startswith("redis://")


def test_check_deploy_is_clean_with_the_documented_production_environment(production_environment):
    result = _check_deploy(production_environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_documented_settings_are_the_ones_in_force(production_environment):
    probe = (
        "from django.conf import settings as s; from django.core.cache import caches; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], "
        "type(caches['default']).__name__, s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        **production_environment,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", probe],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "31536000", "True", "True", "1", "1", "RedisCache",
        "60", "True",
    ]  # fmt: skip


def _without(environment: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in environment.items() if name not in names}


def test_check_deploy_fails_on_each_setting_left_out_and_on_a_per_process_cache(production_environment):
    environment = _without(
        production_environment,
        "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    )  # fmt: skip
    result = _check_deploy({**environment, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    reported = set(re.findall(r"\(([a-z]+\.W\d+)\)", result.stdout + result.stderr))
    # W009: the local default key starts with django-insecure-; W001: each process would count its own limits.
    assert reported == {
        "security.W009", "security.W008", "security.W004", "security.W012", "security.W016", "accounts.W001",
    }  # fmt: skip


def test_check_deploy_fails_on_hsts_without_subdomains_and_preload(production_environment):
    result = _check_deploy(_without(production_environment, "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"))
    assert result.returncode != 0
    assert set(re.findall(r"\(([a-z]+\.W\d+)\)", result.stdout + result.stderr)) == {
        "security.W005", "security.W021",
    }  # fmt: skip


def test_a_malformed_proxy_header_setting_is_refused_at_start(production_environment):
    result = _check_deploy({**production_environment, "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"})
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER is 'HEADER,value'" in result.stderr
