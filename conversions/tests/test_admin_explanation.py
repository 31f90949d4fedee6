"""The conversion change form's "Why this credit" section: the explain endpoint's outcomes in words (the browser
test in tests/test_admin_browser_explanation.py checks the timeline as staff see it)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.services import contact_create
from conversions.services import campaign_create, conversion_create, touchpoint_create
from conversions.tests.admin_helpers import change_url

pytestmark = pytest.mark.django_db


def _page(client, conversion) -> str:
    response = client.get(change_url(conversion))
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.fixture
def clicked(organization):
    contact = contact_create(organization=organization, email="reader@example.com")
    campaign = campaign_create(organization=organization, name="Spring sale")
    converted_at = timezone.now() - timedelta(hours=1)
    touchpoint_create(
        organization=organization, contact=contact, campaign=campaign, kind="click",
        occurred_at=converted_at - timedelta(hours=2),
    )  # fmt: skip
    return contact, campaign, converted_at


def test_a_counted_click_shows_with_its_weight(admin_a, organization, clicked):
    contact, _, converted_at = clicked
    conversion, _ = conversion_create(organization=organization, contact=contact, converted_at=converted_at)
    page = _page(admin_a, conversion)
    assert "Why this credit" in page and "Last touch" in page
    assert "<strong>Counted</strong>" in page and "100.00 %" in page


def test_an_explicit_campaign_says_it_takes_the_credit(admin_a, organization, clicked):
    contact, campaign, converted_at = clicked
    conversion, _ = conversion_create(
        organization=organization, contact=contact, converted_at=converted_at, campaign=campaign
    )
    page = _page(admin_a, conversion)
    assert "Explicit credit:" in page and "Left out: the conversion names its campaign or delivery" in page
    assert "<strong>Counted</strong>" not in page


def test_a_conversion_without_a_contact_says_so(admin_a, organization):
    conversion, _ = conversion_create(organization=organization)
    assert "No contact: no touchpoints to weigh." in _page(admin_a, conversion)
