"""The conversion change form's "Why this credit" timeline in Chromium at 1280 px: every touch of the contact in
time order with the conversion's moment among them, counted ones with their weight, the others with the reason
they were left out; the form saved unchanged changes nothing. Screenshot under test-artifacts/."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import organization_create, organization_update, user_create_staff
from contacts.services import contact_create
from conversions.models import Attribution
from conversions.services import campaign_create, conversion_create, delivery_create, touchpoint_create
from tests.test_admin_browser_lists import PASSWORD, WIDTH, _log_in, _shot
from tests.test_admin_times import _stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey():
    organization = organization_create(
        slug="shop", name="Shop", reference_currency="EUR", timezone_name="Europe/Prague"
    )
    organization = organization_update(organization=organization, open_window_days=3)
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    contact = contact_create(organization=organization, email="reader@example.com")
    spring = campaign_create(organization=organization, name="Spring sale")
    newsletter = campaign_create(organization=organization, name="Newsletter")
    weekly = delivery_create(organization=organization, campaign=newsletter, name="Weekly #12")
    converted_at = timezone.now() - timedelta(days=1)
    touches = (
        (None, weekly, "open", timedelta(days=5)),  # before the 3-day window of opens
        (None, weekly, "delivered", timedelta(days=3)),  # a delivery never counts
        (None, weekly, "open", timedelta(days=2)),
        (spring, None, "click", timedelta(hours=5)),
        (None, weekly, "click", -timedelta(hours=2)),  # after the conversion
    )
    for campaign, delivery, kind, before in touches:
        touchpoint_create(
            organization=organization, contact=contact, campaign=campaign, delivery=delivery, kind=kind,
            occurred_at=converted_at - before,
        )  # fmt: skip
    conversion, _ = conversion_create(
        organization=organization, contact=contact, order_id="ORDER-1", revenue="90.00", converted_at=converted_at,
        attribution_model="linear",
    )  # fmt: skip
    return conversion


def test_the_change_form_explains_the_credit_and_saves_unchanged(live_server, browser, journey):
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}{reverse('admin:conversions_conversion_change', args=[journey.pk])}")
    timeline = page.locator(".attribution-explanation")
    timeline.scroll_into_view_if_needed()
    text = " ".join(timeline.inner_text().split())
    assert "Linear · clicks 7 days, opens 3 days (the organization's) · machine opens do not count." in text
    rows = [" ".join(row.inner_text().split()) for row in timeline.locator("tbody tr").all()]
    assert len(rows) == 6, rows
    assert "Open" in rows[0] and "Left out: before its window" in rows[0] and "Weekly #12" in rows[0]
    assert "Left out: a delivery never counts" in rows[1] and "Weekly #12" in rows[1]
    assert "Open" in rows[2] and "Counted" in rows[2] and "50.00 %" in rows[2]
    assert "Click" in rows[3] and "Spring sale" in rows[3] and "Counted" in rows[3] and "50.00 %" in rows[3]
    assert "The conversion" in rows[4]
    assert "Left out: after the conversion" in rows[5]
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    _shot(page, "conversion-why-this-credit.png", full_page=True)

    before, credit = _stored(journey), sorted(Attribution.objects.values_list("campaign_id", "weight"))
    page.click("button[name=_save]")
    page.wait_for_url("**/admin/conversions/conversion/")
    assert _stored(journey) == before
    assert sorted(Attribution.objects.values_list("campaign_id", "weight")) == credit
