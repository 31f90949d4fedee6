"""The Content-Security-Policy in a real browser: the admin and the API docs work in Chromium with no violation.

A violation is caught twice: Chromium's console message ("... violates the following Content Security Policy
directive ...") and the page's ``securitypolicyviolation`` events, recorded by a script installed before any of
the page's own. Deselected when Chromium is not installed (see conftest.py); .ci/run installs it.
"""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services import organization_create, user_create_staff
from conversions.services import conversion_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]  # fmt: skip
PASSWORD = "correct-horse-battery"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.console_violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and page.console_violations.append(message.text),
    )
    yield page
    context.close()


@pytest.fixture
def conversion():
    organization = organization_create(slug="shop", name="Shop", timezone_name="Europe/Prague")
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    created, _ = conversion_create(
        organization=organization,
        email="buyer@example.com",
        order_id="ORDER-1",
        type="purchase",
        revenue="100.00",
        converted_at=timezone.now() - timedelta(hours=1),
    )
    return created


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    _assert_no_violation(page, url)


def _assert_no_violation(page, where: str) -> None:
    assert page.evaluate("window.__cspViolations") == [], where
    assert page.console_violations == [], where


def test_the_admin_runs_under_the_policy_without_a_violation(live_server, page, conversion):
    base = live_server.url
    _visit(page, f"{base}/admin/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{base}/admin/")
    _assert_no_violation(page, "/admin/ after logging in")
    assert page.evaluate("typeof window.Alpine === 'object'")  # the admin theme's Alpine.js started

    for url in (
        "/admin/",
        "/admin/conversions/conversion/",
        f"/admin/conversions/conversion/{conversion.pk}/change/",
        "/admin/reporting/conversionrollup/dashboard/",
        "/admin/accounts/apikey/add/",
    ):
        _visit(page, f"{base}{url}")
    page.goto(f"{base}/admin/conversions/conversion/")
    assert "ORDER-1" in page.inner_text("#result_list")

    # Alpine.js (which needs 'unsafe-eval') works: the copy button of the new key's page copies its secret.
    page.goto(f"{base}/admin/accounts/apikey/add/")
    page.fill("input[name=name]", "browser")
    page.click("[name=_save]")
    page.wait_for_load_state("networkidle")
    secret = page.input_value("#api-key-secret")
    assert secret.startswith(ApiKey.objects.get(name="browser").prefix)
    page.click("text=Copy")
    page.wait_for_selector("text=Copied")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    _assert_no_violation(page, "the new key's page")


def test_the_api_docs_render_under_the_policy_without_a_violation(live_server, page):
    _visit(page, f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() > 10  # every operation of the schema is listed
    assert "Conversion management API" in page.inner_text(".swagger-ui .info")
    _assert_no_violation(page, "/api/v1/docs/ rendered")
