"""In Chromium: every admin change form saved unchanged changes nothing, in an organization east (Europe/Prague)
and west (America/New_York) of UTC, with the browser itself in a third zone; an edit on a DST day moves a
conversion by exactly the hours the user meant. The same cycle without a browser: tests/test_admin_times.py."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.services import organization_create, user_create_staff
from conftest import BROWSER_ARTIFACTS
from conversions import services
from conversions.models import Conversion
from tests.test_admin_times import TIMES, _history_count, _rows, _stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
BROWSER_ZONE = "Asia/Tokyo"  # neither the server's (UTC) nor the organizations'


def _page(browser, live_server, username):
    page = browser.new_context(timezone_id=BROWSER_ZONE, viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def _change_url(live_server, instance) -> str:
    opts = instance._meta
    return live_server.url + reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])


@pytest.mark.parametrize("zone", ["Europe/Prague", "America/New_York"])
def test_every_change_form_saved_unchanged_in_chromium_changes_nothing(live_server, browser, zone):
    organization = organization_create(slug="zone", name="Zone", reference_currency="EUR", timezone_name=zone)
    user_create_staff(username="zoned", password=PASSWORD, organization=organization)
    # A summer time and the repeated autumn hour, with sub-seconds; the organization itself only once.
    rows = _rows(organization, TIMES[0], tag="a") + _rows(organization, TIMES[1], tag="b")[1:]
    page = _page(browser, live_server, "zoned")
    saved = set()
    for instance in rows:
        before, history = _stored(instance), _history_count(instance)
        page.goto(_change_url(live_server, instance))
        if page.locator("[name=_save]").count() == 0:
            continue  # view-only for a member (memberships, shared exchange rates)
        page.click("[name=_save]")
        page.wait_for_load_state()
        assert "/change/" not in page.url, page.inner_text("body")[:2000]
        assert _stored(instance) == before, type(instance).__name__
        assert _history_count(instance) == history, type(instance).__name__
        saved.add(type(instance).__name__)
    assert saved == {"Organization", "Contact", "Campaign", "Delivery", "Touchpoint", "Conversion", "ApiKey"}
    page.goto(_change_url(live_server, next(row for row in rows if isinstance(row, Conversion))))
    page.screenshot(
        path=str(BROWSER_ARTIFACTS / f"conversion-change-form-{zone.replace('/', '-')}.png"), full_page=True
    )


def test_an_edit_on_a_dst_day_in_chromium_moves_by_exactly_one_hour(live_server, browser):
    organization = organization_create(slug="dst", name="DST", reference_currency="EUR", timezone_name="Europe/Prague")
    user_create_staff(username="dst", password=PASSWORD, organization=organization)
    before = datetime(2024, 3, 31, 0, 30, 15, 500000, tzinfo=UTC)  # 01:30:15.5 CET, before the clocks jump
    conversion, _ = services.conversion_create(organization=organization, revenue=Decimal("1.00"), converted_at=before)
    page = _page(browser, live_server, "dst")
    page.goto(_change_url(live_server, conversion))
    assert page.input_value("[name=converted_at_1]") == "01:30:15.5"
    page.fill("[name=converted_at_1]", "03:30:15.5")  # one hour later: 02:00-03:00 does not exist that night
    page.click("[name=_save]")
    page.wait_for_load_state()
    assert Conversion.objects.get(pk=conversion.pk).converted_at == before + timedelta(hours=1)
