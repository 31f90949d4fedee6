"""The staff lists, change form, history and import preview in a real browser (Playwright, Debian's Chromium) at
1280 px: nothing pushes a list wider than the window, every column header is in view, and screenshots of each
screen are saved under test-artifacts/ for a person to look at.

Deselected when Chromium is not installed (see conftest.py).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import organization_create, user_create_staff
from conftest import BROWSER_ARTIFACTS
from conversions.models import Conversion
from conversions.services import campaign_create, conversion_create, conversion_update, delivery_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WIDTH = 1280
LONG_ORDER_ID = ("ORDER-" + "0123456789ABCDEFGHIJ" * 6)[:101]
LONG_EMAIL = "a.very.long.customer.address.for.testing@subdomain.example-shop.com"

# Every header of the result list: where it is, and whether the window or a scrolling box cuts it off.
HEADERS_JS = """() => [...document.querySelectorAll('#result_list thead th')].map(th => {
    const box = th.getBoundingClientRect();
    let clipped = box.right > document.documentElement.clientWidth || box.left < 0;
    for (let el = th.parentElement; el; el = el.parentElement) {
        if (/(auto|scroll|hidden)/.test(getComputedStyle(el).overflowX)) {
            const outer = el.getBoundingClientRect();
            if (box.right > outer.right + 0.5 || box.left < outer.left - 0.5) clipped = true;
        }
    }
    return {text: th.innerText.trim(), right: box.right, clipped};
})"""


@pytest.fixture
def shop():
    organization = organization_create(
        slug="shop", name="Shop", reference_currency="EUR", timezone_name="Europe/Prague"
    )
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    now = timezone.now()
    campaigns = [campaign_create(organization=organization, name=name, sent_at=now - timedelta(days=days))
                 for name, days in (("Spring sale", 20), ("Black Friday", 9), ("Newsletter", 2))]  # fmt: skip
    deliveries = [
        delivery_create(organization=organization, name=f"{campaign.name} send", campaign=campaign, kind="campaign")
        for campaign in campaigns
    ]
    deliveries.append(delivery_create(organization=organization, name="Welcome flow"))
    for index in range(12):
        conversion_create(
            organization=organization,
            email=f"customer{index}@example.com",
            order_id=f"ORDER-{1000 + index}",
            type="purchase",
            revenue=f"{25 + index * 7}.50",
            delivery=deliveries[index % len(deliveries)],
            converted_at=now - timedelta(days=index * 2, hours=3),
        )
    long_one, _ = conversion_create(
        organization=organization,
        email=LONG_EMAIL,
        order_id=LONG_ORDER_ID,
        type="purchase",
        revenue="1234567.89",
        campaign=campaigns[0],
        notes="A long note. " * 40,
        converted_at=now - timedelta(minutes=30),
    )
    conversion_update(conversion=long_one, coupon_code="WINTER", revenue="1500000.00")
    return organization, long_one


def _log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def _shot(page, name: str, *, full_page: bool = False) -> None:
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(BROWSER_ARTIFACTS / name), full_page=full_page)


def _assert_fits(page) -> list[dict]:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    headers = page.evaluate(HEADERS_JS)
    assert headers and not [header for header in headers if header["clipped"]], headers
    return headers


def test_lists_fit_the_window_and_show_their_figures(live_server, browser, shop):
    organization, long_one = shop
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/conversions/conversion/")
    headers = _assert_fits(page)
    assert [header["text"].split("\n")[0] for header in headers][1:] == [
        "Converted at", "Contact", "Type", "Status", "Amount", "Credit", "Order id",
    ]  # fmt: skip
    cut = page.locator(f'#result_list span[title="{LONG_ORDER_ID}"]')
    assert cut.count() == 1 and cut.inner_text().endswith("…") and len(cut.inner_text()) < 20
    assert page.locator(f'#result_list span[title="{LONG_EMAIL}"]').count() == 1
    _shot(page, "conversion-list-long-order-id.png")

    page.goto(f"{live_server.url}/admin/conversions/campaign/")
    headers = _assert_fits(page)
    assert "Revenue (30 days)" in [header["text"].split("\n")[0] for header in headers]
    assert "1500160.50 EUR" in page.inner_text("#result_list")  # Spring sale: 1500000.00 + 25.50 + 53.50 + 81.50
    _shot(page, "campaign-list.png")

    page.goto(f"{live_server.url}/admin/conversions/delivery/?period=90d")
    headers = _assert_fits(page)
    assert "Conversions (90 days)" in [header["text"].split("\n")[0] for header in headers]
    _shot(page, "delivery-list.png")


def test_change_form_and_history_read_well(live_server, browser, shop):
    organization, long_one = shop
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/conversions/conversion/{long_one.pk}/change/")
    credit = page.inner_text("#attributions-group")
    assert "100.00 %" in credit and "Spring sale" in credit and "1500000.00 EUR" in credit
    assert str(long_one.pk) not in credit
    created = timezone.localtime(Conversion.objects.get(pk=long_one.pk).created_at, organization.zone)
    assert f"{created:%Y-%m-%d %H:%M:%S} {created.tzname()}" in page.inner_text("body")
    _shot(page, "conversion-change-form.png", full_page=True)

    page.goto(f"{live_server.url}/admin/conversions/conversion/{long_one.pk}/history/")
    history = page.inner_text("#change-history")
    assert "None" not in history and "Change reason" not in history
    assert "WINTER" in history and "1500000.00" in history and created.tzname() in history
    _shot(page, "conversion-history.png", full_page=True)


def test_import_preview_shows_each_error_on_its_row(live_server, browser, shop, tmp_path):
    upload = tmp_path / "conversions.csv"
    upload.write_text(
        "order_id,converted_at,email,type,revenue,currency,country\n"
        "IMPORT-1,2025-05-01T10:00:00+02:00,good@example.com,purchase,10.00,EUR,CZ\n"
        "IMPORT-2,2025-05-01T11:00:00+02:00,bad@example.com,purchase,10.00,QQQ,CZ\n"
        "IMPORT-3,yesterday,worse@example.com,purchase,10.00,EUR,CZ\n"
        "IMPORT-4,2025-05-02T09:00:00+02:00,fine@example.com,signup,0,,\n"
    )
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/admin/conversions/conversion/import/")
    page.set_input_files("input[name=import_file]", str(upload))
    page.locator("form [type=submit]").last.click()
    page.wait_for_selector("#import-preview")
    rows = page.locator("#import-preview tbody.preview-row")
    assert rows.count() == 4
    assert "IMPORT-1" in rows.nth(0).inner_text() and "IMPORT-4" in rows.nth(3).inner_text()
    assert "ISO 4217" in rows.nth(1).inner_text()  # visible text, not a tooltip
    assert "ISO 8601" in rows.nth(2).inner_text()
    assert page.locator("text=Confirm import").count() == 0
    assert not Conversion.objects.filter(order_id__startswith="IMPORT-").exists()
    _shot(page, "import-preview-errors.png", full_page=True)
