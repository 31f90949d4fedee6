"""The nightly check repairs derived columns a rollup recount cannot see: reference amounts that do not match the
rate, and credit that does not match the revenue; each repair is logged, and a sound row is left alone."""

import logging
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from contacts.services import contact_create
from conversions import services
from conversions.models import Conversion

DAY = date(2024, 5, 6)


def _world(organization):
    services.exchange_rates_import(rows=[(DAY, "USD", Decimal("2"))])  # 1 EUR = 2 USD
    campaign = services.campaign_create(organization=organization, name="C")
    moment = timezone.make_aware(datetime(2024, 5, 6, 12, 0))
    sound, _ = services.conversion_create(
        organization=organization, revenue=Decimal("10.00"), currency="USD", converted_at=moment, campaign=campaign
    )
    broken, _ = services.conversion_create(
        organization=organization,
        revenue=Decimal("30.00"),
        currency="USD",
        converted_at=moment,
        campaign=campaign,
        contact=contact_create(organization=organization, email="d@example.test"),
    )
    return sound, broken


def test_a_reference_amount_from_a_stale_revenue_is_found_repaired_and_logged(organization, caplog):
    sound, broken = _world(organization)
    Conversion.objects.filter(pk=broken.pk).update(reference_revenue=Decimal("261.94"))  # as if from an old revenue
    sound_before = Conversion.objects.get(pk=sound.pk).updated_at

    with caplog.at_level(logging.WARNING, logger="conversions.services.derived"):
        repaired = services.conversions_derived_check(organization=organization, first_day=DAY, last_day=DAY)

    assert repaired == [str(broken.pk)]
    assert Conversion.objects.get(pk=broken.pk).reference_revenue == Decimal("15.00")
    assert "reference_revenue 261.94 instead of 15.00" in caplog.text
    assert Conversion.objects.get(pk=sound.pk).updated_at == sound_before


def test_sound_rows_are_not_touched(organization):
    _world(organization)
    assert services.conversions_derived_check(organization=organization, first_day=DAY, last_day=DAY) == []
