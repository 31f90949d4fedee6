"""Staff in a real browser: Playwright driving Debian's Chromium against a live server.

Deselected when Chromium is not installed (see conftest.py); .ci/run installs it and runs these.
Screenshots of the dashboard and the conversion list are saved under test-artifacts/.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.services import organization_create, user_create_staff
from conftest import BROWSER_ARTIFACTS
from conversions.models import Conversion
from conversions.services import conversion_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
DASHBOARD = "/admin/reporting/conversionrollup/dashboard/"
CONVERSIONS = "/admin/conversions/conversion/"


@pytest.fixture
def shop():
    organization = organization_create(slug="shop", name="Shop", timezone_name="Europe/Prague")
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    conversion, _ = conversion_create(
        organization=organization,
        email="buyer@example.com",
        order_id="ORDER-1",
        type="purchase",
        revenue="100.00",
        converted_at=timezone.now() - timedelta(hours=1),
    )
    return organization, conversion


@pytest.fixture
def rival():
    organization = organization_create(slug="rival", name="Rival", timezone_name="UTC")
    user_create_staff(username="bob", password=PASSWORD, organization=organization)
    return organization


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def _dashboard_total(page, base_url: str) -> str:
    page.goto(f"{base_url}{DASHBOARD}")
    return page.inner_text("#total-with-tax")


def test_editing_an_amount_changes_the_dashboard_total(live_server, browser, shop):
    organization, conversion = shop
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _log_in(page, live_server.url, "alice")
    assert _dashboard_total(page, live_server.url).startswith("100.00")

    page.goto(f"{live_server.url}{CONVERSIONS}{conversion.pk}/change/")
    page.fill("input[name=revenue]", "250.00")
    page.fill("input[name=revenue_without_tax]", "200.00")
    page.click("[name=_save]")
    page.wait_for_url(f"{live_server.url}{CONVERSIONS}**")
    conversion.refresh_from_db()
    assert conversion.revenue == Decimal("250.00")

    assert _dashboard_total(page, live_server.url).startswith("250.00")
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(BROWSER_ARTIFACTS / "dashboard.png"), full_page=True)
    page.goto(f"{live_server.url}{CONVERSIONS}")
    assert "ORDER-1" in page.inner_text("#result_list")
    page.screenshot(path=str(BROWSER_ARTIFACTS / "conversion-list.png"), full_page=True)


def test_import_dry_run_shows_the_bad_row(live_server, browser, shop, tmp_path):
    organization, _ = shop
    upload = tmp_path / "conversions.csv"
    upload.write_text(
        "order_id,converted_at,email,type,revenue,currency\n"
        "IMPORT-1,2025-05-01T10:00:00+02:00,good@example.com,purchase,10.00,EUR\n"
        "IMPORT-2,2025-05-01T11:00:00+02:00,bad@example.com,purchase,10.00,QQQ\n"
    )
    page = browser.new_page()
    _log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}{CONVERSIONS}import/")
    for name, value in (("organization", str(organization.pk)), ("resource", "0"), ("format", "0")):
        if page.locator(f"select[name={name}]").count():
            page.select_option(f"select[name={name}]", value)
    page.set_input_files("input[name=import_file]", str(upload))
    page.click("form[enctype='multipart/form-data'] [type=submit]")
    page.wait_for_load_state()
    assert "QQQ" in page.content() and "ISO 4217" in page.content()
    assert not Conversion.objects.filter(order_id__startswith="IMPORT-").exists()


def test_another_organizations_staff_sees_none_of_it(live_server, browser, shop, rival):
    _, conversion = shop
    page = browser.new_page()
    _log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}{CONVERSIONS}")
    assert "ORDER-1" not in page.content()
    assert "buyer@example.com" not in page.content()
    page.goto(f"{live_server.url}{CONVERSIONS}{conversion.pk}/change/")
    assert "ORDER-1" not in page.content()
    total = _dashboard_total(page, live_server.url)
    assert total.startswith("0") and "100.00" not in total
