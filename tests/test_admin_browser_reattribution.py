"""The re-attribution screens in Chromium at 1280 px: the jobs list with a running job's progress, the "Re-attribute
a date range" form from the conversions list, its count, the started job's page; the organization saved unchanged
and saved with a new default model changes no conversion. Screenshots under test-artifacts/ for a person to look at."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import organization_create, user_create_staff
from contacts.services import contact_create
from conversions.models import Attribution, Conversion, ReattributionJob
from conversions.services import campaign_create, conversion_create, touchpoint_create
from tests.test_admin_browser_lists import PASSWORD, WIDTH, _assert_fits, _log_in, _shot
from tests.test_admin_times import _stored

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    organization = organization_create(
        slug="shop", name="Shop", reference_currency="EUR", timezone_name="Europe/Prague"
    )
    user_create_staff(username="alice", password=PASSWORD, organization=organization)
    now = timezone.now()
    early, late = (campaign_create(organization=organization, name=name) for name in ("Spring sale", "Newsletter"))
    for index in range(3):
        contact = contact_create(organization=organization, email=f"customer{index}@example.com")
        converted_at = now - timedelta(days=index + 1)
        for campaign, before in ((early, timedelta(days=5)), (late, timedelta(hours=3))):
            touchpoint_create(
                organization=organization, contact=contact, campaign=campaign, kind="click",
                occurred_at=converted_at - before,
            )  # fmt: skip
        conversion_create(
            organization=organization, contact=contact, order_id=f"ORDER-{index}", revenue="30.00",
            converted_at=converted_at,
        )  # fmt: skip
    running = ReattributionJob.objects.create(
        organization=organization, date_from=now.date() - timedelta(days=90), date_to=now.date() - timedelta(days=60),
        status="running", total=12_480, processed=5_100, changed=4_870, started_at=now,
    )  # fmt: skip
    return organization, running


def _credit():
    return sorted(Attribution.objects.values_list("conversion__order_id", "campaign__name", "weight"))


def test_reattribution_screens_read_well_and_start_a_job(live_server, browser, shop):
    organization, running = shop
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)

    page.click("nav >> text=Re-attribution jobs")  # staff find it in the sidebar
    page.wait_for_url("**/admin/conversions/reattributionjob/")
    _assert_fits(page)
    listing = page.inner_text("#result_list")
    assert "Running" in listing and "40 % (5,100 of 12,480)" in listing
    assert "refreshes itself" in page.inner_text("body")
    _shot(page, "reattribution-jobs-list.png", full_page=True)

    page.goto(f"{live_server.url}/admin/conversions/conversion/")
    page.click("text=Re-attribute a date range…")  # the button above the conversions list
    page.wait_for_url("**/admin/conversions/reattributionjob/add/")
    today = timezone.localdate(timezone=organization.zone)
    page.fill("[name=date_from]", (today - timedelta(days=7)).isoformat())
    page.fill("[name=date_to]", today.isoformat())
    _shot(page, "reattribution-form.png", full_page=True)
    page.click("button[name=check]")
    page.wait_for_load_state()
    preview = " ".join(page.inner_text("#reattribution-preview").split())
    assert "3 conversions of Shop" in preview and "Attribution model: Last touch" in preview, preview
    assert "Windows: clicks 7 days, opens 7 days" in preview
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    _shot(page, "reattribution-preview.png", full_page=True)
    assert ReattributionJob.objects.count() == 1  # counting started nothing

    page.click("button[name=start]")
    page.wait_for_url("**/admin/conversions/reattributionjob/*/change/")
    job = ReattributionJob.objects.exclude(pk=running.pk).get()
    body = page.inner_text("body")
    assert "Re-attribution of 3 conversion(s)" in body and "Shop" in body
    assert page.locator("[name=_save]").count() == 0  # read-only: progress is the task's to write
    _shot(page, "reattribution-job-started.png", full_page=True)
    job.refresh_from_db()
    assert job.status == "done"  # the tests run tasks eagerly, right after the commit

    page.goto(live_server.url + reverse("admin:conversions_reattributionjob_change", args=[running.pk]))
    assert "40 % (5,100 of 12,480)" in page.inner_text("body")
    _shot(page, "reattribution-job-running.png", full_page=True)


def test_the_organization_saved_unchanged_or_with_new_defaults_changes_no_conversion(live_server, browser, shop):
    organization, _ = shop
    conversions = [_stored(conversion) for conversion in Conversion.objects.order_by("order_id")]
    credit, before = _credit(), _stored(organization)
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server.url)
    url = live_server.url + reverse("admin:accounts_organization_change", args=[organization.pk])

    page.goto(url)
    page.click("[name=_save]")
    page.wait_for_load_state()
    assert "/change/" not in page.url, page.inner_text("body")[:2000]
    assert _stored(organization) == before

    page.goto(url)
    page.select_option("[name=default_attribution_model]", "first_touch")
    _shot(page, "organization-new-default-model.png", full_page=True)
    page.click("[name=_save]")
    page.wait_for_load_state()
    organization.refresh_from_db()
    assert organization.default_attribution_model == "first_touch"
    assert [_stored(conversion) for conversion in Conversion.objects.order_by("order_id")] == conversions
    assert _credit() == credit
