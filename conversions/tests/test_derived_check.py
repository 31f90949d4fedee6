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


def test_equal_weights_whose_odd_cent_sits_on_either_row_are_sound(organization, caplog):
    """Rows of equal weight come back from the database in no fixed order: the check must not flag (and
    re-attribute, night after night) credit whose leftover cent went to the row it happened to read second."""
    from conversions.attribution import split_money
    from conversions.models import CREDITED_MONEY_FIELDS, Attribution

    services.exchange_rates_import(rows=[(DAY, "USD", Decimal("2"))])
    campaign = services.campaign_create(organization=organization, name="C")
    other = services.campaign_create(organization=organization, name="D")
    moment = timezone.make_aware(datetime(2024, 5, 6, 12, 0))
    conversion, _ = services.conversion_create(
        organization=organization, revenue=Decimal("10.03"), currency="USD", converted_at=moment, campaign=campaign
    )
    first = conversion.attributions.get()
    halves = [Decimal("0.5"), Decimal("0.5")]
    for order in ((0, 1), (1, 0)):
        Attribution.objects.filter(conversion=conversion).exclude(pk=first.pk).delete()
        conversion.refresh_from_db()
        splits = {field: split_money(getattr(conversion, field), halves) for field in CREDITED_MONEY_FIELDS}
        assert splits["revenue"] == [Decimal("5.02"), Decimal("5.01")]
        Attribution.objects.filter(pk=first.pk).update(
            weight=Decimal("0.5"), **{field: parts[order[0]] for field, parts in splits.items()}
        )
        Attribution.objects.create(
            organization=organization, conversion=conversion, campaign=other, weight=Decimal("0.5"),
            **{field: parts[order[1]] for field, parts in splits.items()},
        )  # fmt: skip

        with caplog.at_level(logging.WARNING, logger="conversions.services.derived"):
            repaired = services.conversions_derived_check(organization=organization, first_day=DAY, last_day=DAY)

        assert repaired == [], caplog.text


def test_money_split_up_to_the_order_of_ties():
    from conversions.attribution import is_money_split

    cent, two = Decimal("0.01"), Decimal("0.02")
    half, quarter, three_quarters = Decimal("0.5"), Decimal("0.25"), Decimal("0.75")
    assert is_money_split(cent, [half, half], [Decimal("0.00"), cent])
    assert is_money_split(cent, [half, half], [cent, Decimal("0.00")])
    # 0.5 ct and 1.5 ct: an exact tie of remainders between different weights, either part may take the cent.
    assert is_money_split(two, [quarter, three_quarters], [cent, cent])
    assert is_money_split(two, [quarter, three_quarters], [Decimal("0.00"), two])
    assert not is_money_split(two, [quarter, three_quarters], [two, Decimal("0.00")])
    assert not is_money_split(cent, [Decimal("0.6"), Decimal("0.4")], [Decimal("0.00"), cent])  # 0.6 ct beats 0.4
    assert not is_money_split(cent, [half, half], [Decimal("0.00"), Decimal("0.00")])
    assert is_money_split(None, [half, half], [None, None])
    assert not is_money_split(cent, [half, half], [None, None])
