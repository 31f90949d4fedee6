"""The refund and webhook screens in Chromium at 1280 px: the refunds list, the read-only ledger on a conversion,
the refund form, the webhook endpoint list and form, and the delivery log fit the window; an endpoint saved
unchanged changes nothing. Screenshots under test-artifacts/ for a person to look at."""

import pytest
from django.urls import reverse

from accounts.services import organization_create, user_create_staff
from conftest import BROWSER_ARTIFACTS
from conversions.services import campaign_create, conversion_create, refund_create
from tests.test_admin_browser_lists import PASSWORD, WIDTH, _assert_fits, _log_in
from tests.test_admin_times import _stored
from webhooks.models import WebhookDelivery
from webhooks.services import webhook_endpoint_create
from webhooks.tests import conftest as webhooks_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


receiver = webhooks_fixtures.receiver  # a real HTTP receiver on loopback


@pytest.fixture
def shop(receiver):
    organization = organization_create(slug="shop", name="Shop", reference_currency="EUR", timezone_name="UTC")
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    endpoint = webhook_endpoint_create(
        organization=organization,
        url=receiver.url,
        events=["conversion.created", "refund.created"],
        description="CRM sync",
    )
    campaign = campaign_create(organization=organization, name="Black Friday", external_id="BF-2026")
    conversion, _ = conversion_create(
        organization=organization, revenue="120.00", campaign=campaign, order_id="ORDER-1", email="a@example.com"
    )
    refund_create(organization=organization, conversion=conversion, amount="20.00", reason="returned", note="1 of 3")
    return organization, conversion, endpoint


def _shot(page, name):
    BROWSER_ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(BROWSER_ARTIFACTS / name), full_page=True)


def test_refund_screens_read_well(live_server, browser, shop):
    organization, conversion, _ = shop
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)

    page.click("nav >> text=Refunds")  # staff find it in the sidebar
    page.wait_for_url("**/admin/conversions/refund/")
    _assert_fits(page)
    listing = page.inner_text("#result_list")
    assert "20.00" in listing and "returned" in listing.lower()
    _shot(page, "refund-list.png")

    page.goto(live_server.url + reverse("admin:conversions_conversion_change", args=[conversion.pk]))
    body = page.inner_text("body")
    assert "20.00" in body and "100.00" in body  # the ledger entry and what is left (net)
    _shot(page, "conversion-change-form-with-refunds.png")

    page.goto(f"{live_server.url}/admin/conversions/refund/add/?conversion={conversion.pk}")
    assert page.locator("[name=amount]").count() == 1 and page.locator("[name=reason]").count() == 1
    _shot(page, "refund-form.png")


def test_webhook_screens_read_well_and_an_endpoint_saved_unchanged_changes_nothing(live_server, browser, shop):
    _, _, endpoint = shop
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)

    page.click("nav >> text=Endpoints")  # the sidebar's Webhooks group
    page.wait_for_url("**/admin/webhooks/webhookendpoint/")
    _assert_fits(page)
    assert "127.0.0.1" in page.inner_text("#result_list")
    _shot(page, "webhook-endpoint-list.png")

    before = _stored(endpoint)
    page.goto(live_server.url + reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    _shot(page, "webhook-endpoint-form.png")
    page.click("[name=_save]")
    page.wait_for_load_state()
    assert "/change/" not in page.url, page.inner_text("body")[:2000]
    assert _stored(endpoint) == before

    assert WebhookDelivery.objects.filter(status="succeeded").count() == 2
    page.click("nav >> text=Delivery log")
    page.wait_for_url("**/admin/webhooks/webhookdelivery/")
    _assert_fits(page)
    log = page.inner_text("#result_list")
    assert "conversion.created" in log and "refund.created" in log
    _shot(page, "webhook-delivery-log.png")
