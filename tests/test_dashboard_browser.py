"""The dashboard (the admin home) in a real browser: Playwright driving Debian's Chromium against a live server.

Presets, a filter, the previous-period comparison and the CSV export are checked against what ``/reporting/v1/``
answers for the same range; the chart of a 30-day and of a 185-day range fits a 1,280 px window. Screenshots go
to test-artifacts/ (dashboard-30-days.png, dashboard-6-months.png, admin-home.png, dashboard-de.png,
dashboard-models.png).
"""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_create, organization_create, user_create_staff
from conftest import BROWSER_ARTIFACTS
from contacts.services import contact_create
from conversions.models import ExchangeRate
from conversions.services import campaign_create, conversion_create, delivery_create, touchpoints_bulk_create
from reporting.dashboard import NumberFormat
from reporting.services import rollup_drain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WINDOW = {"width": 1280, "height": 900}


@pytest.fixture
def shop():
    """Half a year and more of sales in Prague (a few a day, more lately), in EUR and CZK, two deliveries."""
    organization = organization_create(
        slug="shop", name="Shop", reference_currency="EUR", timezone_name="Europe/Prague"
    )
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    today = timezone.localdate(timezone=organization.zone)
    ExchangeRate.objects.create(date=today - timedelta(days=800), currency="CZK", rate=Decimal("25"))
    spring = campaign_create(organization=organization, name="Spring sale")
    deliveries = [
        delivery_create(organization=organization, name="Welcome flow", campaign=spring),
        delivery_create(organization=organization, name="Abandoned cart"),
        None,
    ]
    index = 0
    for days_ago in range(380, -1, -1):
        for _ in range(1 + (days_ago < 45) + (days_ago % 3 == 0)):
            conversion_create(
                organization=organization,
                email=f"buyer{index % 40}@example.com",
                revenue=Decimal(2000 + (index * 7919) % 400000) / 100,
                currency="CZK" if index % 3 == 0 else "EUR",
                country=("CZ", "SK", "DE")[index % 3],
                origin=("website", "app")[index % 2],
                type=("purchase", "purchase", "signup")[index % 3],
                delivery=deliveries[index % 3],
                converted_at=min(
                    datetime.combine(today - timedelta(days=days_ago), time(8 + index % 12), organization.zone),
                    timezone.now() - timedelta(seconds=30),  # today's sales so far
                ),
            )
            index += 1
    rollup_drain()
    return organization


@pytest.fixture
def api(shop):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(organization=shop, name='browser')[1]}")
    return client


def _totals(api, first: str, last: str, **params) -> dict:
    response = api.get("/reporting/v1/conversions/totals", {"dateFrom": first, "dateTo": last, **params})
    assert response.status_code == 200, response.content
    return response.json()


def _log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base_url}/admin/")


def _range(page) -> tuple[str, str]:
    return page.input_value("input[name=date_from]"), page.input_value("input[name=date_to]")


def _kpi(page, key: str) -> tuple[Decimal, Decimal]:
    card = page.locator(f"#kpi-{key}")
    return Decimal(card.get_attribute("data-value")), Decimal(card.get_attribute("data-previous"))


def _assert_agrees_with_the_api(page, api, **params) -> None:
    """The KPI cards (value and previous period) equal reporting v1's totals of the range shown, and the page
    shows the figure as the locale writes it."""
    first, last = _range(page)
    length = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    previous_first = (date.fromisoformat(first) - timedelta(days=length)).isoformat()
    previous_last = (date.fromisoformat(first) - timedelta(days=1)).isoformat()
    current = _totals(api, first, last, **params)
    previous = _totals(api, previous_first, previous_last, **params)
    expected = {
        "revenue": "conversionsAmountWTax",
        "revenue_without_tax": "conversionsAmountWoTax",
        "conversions": "conversionsNumber",
        "average": "averageConversion",
    }
    for key, field in expected.items():
        assert _kpi(page, key) == (
            Decimal(str(current["conversions"][field])),
            Decimal(str(previous["conversions"][field])),
        ), key
    assert _kpi(page, "unique_contacts") == (current["uniqueContacts"], previous["uniqueContacts"])
    revenue = Decimal(str(current["conversions"]["conversionsAmountWTax"]))
    assert page.inner_text("#total-with-tax") == NumberFormat("en").money(revenue, "EUR")


def _assert_fits(page) -> dict:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WINDOW["width"], width
    chart = page.evaluate(
        """(() => {
            const svg = document.querySelector('#revenue-chart').getBoundingClientRect();
            const card = document.querySelector('#dashboard-chart').getBoundingClientRect();
            return {left: svg.left, right: svg.right, width: svg.width, cardRight: card.right,
                    bars: document.querySelectorAll('#revenue-chart .bar').length,
                    ticks: document.querySelectorAll('#revenue-chart .grid text').length,
                    values: document.querySelectorAll('#revenue-chart text.value').length,
                    tooltips: document.querySelectorAll('#revenue-chart .bucket > title').length};
        })()"""
    )
    assert chart["left"] >= 0 and chart["right"] <= chart["cardRight"] <= WINDOW["width"], chart
    assert 0 < chart["bars"] <= 31 and chart["ticks"] >= 3 and chart["tooltips"] == chart["bars"], chart
    assert chart["values"] > 0, chart
    return chart


def test_dashboard_presets_filters_comparison_and_csv_agree_with_reporting_v1(live_server, browser, shop, api):
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=WINDOW, locale="en-US", accept_downloads=True)
    page = context.new_page()
    _log_in(page, live_server.url)

    # The admin home is the dashboard: the last 30 days by default.
    page.screenshot(path=str(BROWSER_ARTIFACTS / "admin-home.png"))
    assert page.locator("a.dash-chip.active").get_attribute("data-preset") == "30d"
    _assert_agrees_with_the_api(page, api)
    chart = _assert_fits(page)
    assert chart["bars"] == 30
    page.screenshot(path=str(BROWSER_ARTIFACTS / "dashboard-30-days.png"), full_page=True)

    # A preset.
    page.click("a[data-preset='7d']")
    page.wait_for_load_state()
    assert page.locator("a.dash-chip.active").get_attribute("data-preset") == "7d"
    first, last = _range(page)
    assert (date.fromisoformat(last) - date.fromisoformat(first)).days == 6
    _assert_agrees_with_the_api(page, api)

    # A filter (the select submits itself), then the CSV of what is shown.
    page.click("a[data-preset='90d']")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.select_option("select[name=type]", "purchase")
    assert page.locator("select[name=type]").input_value() == "purchase"
    _assert_agrees_with_the_api(page, api, type="purchase")
    assert 13 <= _assert_fits(page)["bars"] <= 14  # weeks
    with page.expect_download() as download_info:
        page.click("#dashboard-export")
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    kpis = {row[0]: row for row in rows if row and row[0] in ("revenue", "conversions")}
    first, last = _range(page)
    current = _totals(api, first, last, type="purchase")
    assert Decimal(kpis["revenue"][2]) == Decimal(str(current["conversions"]["conversionsAmountWTax"]))
    assert Decimal(kpis["conversions"][2]) == Decimal(str(current["conversions"]["conversionsNumber"]))
    assert ["date_from", first] in rows and ["date_to", last] in rows and ["type", "purchase"] in rows

    # Six months: weekly bars, still inside the window.
    today = timezone.localdate(timezone=shop.zone)
    start = today - timedelta(days=184)
    page.goto(f"{live_server.url}/admin/?date_from={start.isoformat()}&date_to={today.isoformat()}")
    assert page.locator("[data-preset='custom']").get_attribute("class").endswith("active")
    _assert_agrees_with_the_api(page, api)
    assert 27 <= _assert_fits(page)["bars"] <= 28
    page.screenshot(path=str(BROWSER_ARTIFACTS / "dashboard-6-months.png"), full_page=True)
    context.close()


def test_numbers_follow_the_browsers_language(live_server, browser, shop, api):
    context = browser.new_context(viewport=WINDOW, locale="de-DE")
    page = context.new_page()
    _log_in(page, live_server.url)
    first, last = _range(page)
    revenue = Decimal(str(_totals(api, first, last)["conversions"]["conversionsAmountWTax"]))
    assert revenue >= 1000
    assert page.inner_text("#total-with-tax") == NumberFormat("de").money(revenue, "EUR")
    assert "." in page.inner_text("#total-with-tax") and "," in page.inner_text("#total-with-tax")
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(BROWSER_ARTIFACTS / "dashboard-de.png"))
    context.close()


@pytest.fixture
def journeys(shop):
    """Ten campaigns with long names, each opened and then a delivery of the next one clicked, before conversions
    without a campaign or delivery of their own over the last 30 days."""
    today = timezone.localdate(timezone=shop.zone)
    campaigns = [
        campaign_create(organization=shop, name=f"Autumn newsletter series, part {index + 1} (all subscribers)")
        for index in range(10)
    ]
    deliveries = [
        delivery_create(organization=shop, name=f"Issue {index + 1}", campaign=campaign)
        for index, campaign in enumerate(campaigns)
    ]
    for index in range(10):
        contact = contact_create(organization=shop, email=f"reader{index}@example.com")
        converted_at = datetime.combine(today - timedelta(days=2 + index), time(12), shop.zone)
        touchpoints_bulk_create(
            organization=shop,
            touchpoints=[
                {"contact": contact, "kind": "open", "occurred_at": converted_at - timedelta(days=5),
                 "campaign": campaigns[index]},
                {"contact": contact, "kind": "click", "occurred_at": converted_at - timedelta(days=1),
                 "delivery": deliveries[(index + 1) % 10]},
            ],
        )  # fmt: skip
        conversion_create(
            organization=shop, contact=contact, converted_at=converted_at, currency="EUR",
            revenue=Decimal(1234567 * (index + 1)) / 100,
        )  # fmt: skip
    rollup_drain()
    return campaigns


def test_the_attribution_models_section_fits_and_agrees_with_the_comparison_api(live_server, browser, journeys, api):
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport=WINDOW, locale="en-US")
    page = context.new_page()
    _log_in(page, live_server.url)
    first, last = _range(page)
    answer = api.get("/reporting/v1/attribution/comparison", {"dateFrom": first, "dateTo": last}).json()
    rows = page.locator("#models-table tbody tr[data-model]")
    assert rows.count() == 5
    for index in range(5):
        row = rows.nth(index)
        total = answer["totals"][row.get_attribute("data-model")]
        assert Decimal(row.get_attribute("data-amount")) == Decimal(str(total["conversionsAmountWTax"]))
        assert row.locator("td").nth(2).inner_text() == NumberFormat("en").money(
            Decimal(str(total["conversionsAmountWTax"])), "EUR"
        )
    assert page.locator("#models-equal-note").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WINDOW["width"], width
    chart = page.evaluate(
        """(() => {
            const svg = document.querySelector('#credit-by-model-chart').getBoundingClientRect();
            const card = document.querySelector('#dashboard-credit-by-model').getBoundingClientRect();
            const names = [...document.querySelectorAll('#credit-by-model-chart .campaign-name')]
                .map((text) => text.getBoundingClientRect());
            return {left: svg.left, right: svg.right, cardRight: card.right,
                    namesLeft: Math.min(...names.map((box) => box.left)),
                    bars: document.querySelectorAll('#credit-by-model-chart .model-bar').length,
                    tooltips: document.querySelectorAll('#credit-by-model-chart .model-bar > title').length};
        })()"""
    )
    assert chart["left"] >= 0 and chart["right"] <= chart["cardRight"] <= WINDOW["width"], chart
    assert chart["namesLeft"] >= chart["left"], chart  # no campaign name cut at the left edge
    assert chart["bars"] == chart["tooltips"] == 8 * 5, chart
    page.locator("#dashboard-models").scroll_into_view_if_needed()
    page.locator("#dashboard-models").screenshot(path=str(BROWSER_ARTIFACTS / "dashboard-models.png"))
    page.screenshot(path=str(BROWSER_ARTIFACTS / "dashboard-models-page.png"), full_page=True)
    context.close()
