"""The refund ledger's service: limits at their edges, defaults, reversals, reference currency, credit, status."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversions.models import Attribution, Conversion, RollupMark
from conversions.services import (
    conversion_refunds_recount,
    conversion_update,
    conversions_derived_check,
    conversions_set_status,
    refund_create,
)
from conversions.tests.factories import (
    CampaignFactory,
    ConversionFactory,
    DeliveryFactory,
    ExchangeRateFactory,
    TouchpointFactory,
)
from core.exceptions import ConflictError

D = Decimal


def _refund(conversion, **fields):
    refund, created = refund_create(organization=conversion.organization, conversion=conversion, **fields)
    conversion.refresh_from_db()
    return refund, created


@pytest.fixture
def conversion(organization):
    return ConversionFactory(organization=organization, revenue="100.00", revenue_without_tax="80.00")


def test_a_refund_is_stored_and_folded_into_the_conversion(conversion):
    refund, created = _refund(conversion, amount="30.00", reason="returned", note="one item of three")

    assert created
    assert (refund.amount, refund.amount_without_tax, refund.reason) == (D("30.00"), D("24.00"), "returned")
    assert (conversion.refunded_revenue, conversion.refunded_revenue_without_tax) == (D("30.00"), D("24.00"))
    assert (conversion.net_revenue, conversion.net_revenue_without_tax) == (D("70.00"), D("56.00"))
    assert (conversion.reference_net_revenue, conversion.reference_net_revenue_without_tax) == (D("70.00"), D("56.00"))
    assert conversion.status == Conversion.Status.APPROVED
    assert RollupMark.objects.filter(day=conversion.converted_date).exists()
    assert refund.history.count() == 1


def test_the_amount_without_tax_share_is_rounded_half_up_to_the_cent(organization):
    conversion = ConversionFactory(organization=organization, revenue="3.00", revenue_without_tax="1.00")
    refund, _ = _refund(conversion, amount="0.50")  # 0.50 × 1/3 = 0.1666… → 0.17
    assert refund.amount_without_tax == D("0.17")
    refund, _ = _refund(conversion, amount="0.15")  # 0.05 exactly
    assert refund.amount_without_tax == D("0.05")
    half, _ = _refund(
        ConversionFactory(organization=organization, revenue="2.00", revenue_without_tax="0.01"), amount="1.00"
    )
    assert half.amount_without_tax == D("0.01")  # 0.005 rounds half up


def test_the_refund_of_all_that_remains_takes_all_that_remains_without_tax(organization):
    conversion = ConversionFactory(organization=organization, revenue="3.00", revenue_without_tax="1.00")
    for _ in range(2):
        _refund(conversion, amount="1.00")  # 0.33 each
    last, _ = _refund(conversion, amount="1.00")
    assert last.amount_without_tax == D("0.34")
    assert conversion.net_revenue == conversion.net_revenue_without_tax == D("0.00")
    assert conversion.status == Conversion.Status.REFUNDED


@pytest.mark.parametrize(
    ("amount", "ok"),
    [("100.00", True), ("100.01", False), ("0.01", True), ("0.00", False), ("-1.00", False), ("1.001", False)],
)
def test_amount_limits_at_their_edges(conversion, amount, ok):
    if ok:
        _refund(conversion, amount=amount)
        assert conversion.refunded_revenue == D(amount)
        return
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount=amount)
    assert "amount" in error.value.message_dict
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == 0 and not conversion.refunds.exists()


def test_a_refund_beyond_what_remains_names_what_remains(conversion):
    _refund(conversion, amount="60.00")
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="40.01")
    assert "40.00 EUR" in error.value.message_dict["amount"][0]
    assert "32.00 EUR" in error.value.message_dict["amount"][0]  # without tax
    _refund(conversion, amount="40.00")
    assert conversion.net_revenue == 0 and conversion.status == Conversion.Status.REFUNDED


def test_amount_without_tax_limits(conversion):
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="10.00", amount_without_tax="10.01")  # more than the amount
    assert "amount_without_tax" in error.value.message_dict
    _refund(conversion, amount="90.00", amount_without_tax="79.99")
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="5.00", amount_without_tax="0.02")  # 0.01 remains without tax
    assert "0.01 EUR" in error.value.message_dict["amount_without_tax"][0]
    with pytest.raises(ValidationError):  # the last refund must take the 0.01 that remains without tax
        _refund(conversion, amount="10.00", amount_without_tax="0.00")
    _refund(conversion, amount="10.00", amount_without_tax="0.01")
    assert conversion.net_revenue_without_tax == 0


def test_refunded_at_limits(conversion):
    now = timezone.now()
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="1.00", refunded_at=conversion.converted_at - timedelta(microseconds=1))
    assert "refunded_at" in error.value.message_dict
    _refund(conversion, amount="1.00", refunded_at=conversion.converted_at)
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="1.00", refunded_at=now + timedelta(minutes=5, seconds=5))
    assert "refunded_at" in error.value.message_dict
    _refund(conversion, amount="1.00", refunded_at=now + timedelta(minutes=4, seconds=55))
    assert conversion.refunds.count() == 2


def test_text_limits(conversion):
    _refund(conversion, amount="1.00", note="n" * 2000, external_ref="r" * 255)
    for field, value in (("note", "n" * 2001), ("external_ref", "s" * 256)):
        with pytest.raises(ValidationError) as error:
            _refund(conversion, amount="1.00", **{field: value})
        assert field in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _refund(conversion, amount="1.00", reason="lost")
    assert "reason" in error.value.message_dict
    assert conversion.refunds.count() == 1


def test_external_ref_replays_the_same_payload_and_conflicts_on_another(conversion):
    first, created = _refund(conversion, amount="10.00", reason="returned", external_ref="R-1")
    again, created_again = _refund(conversion, amount="10.00", reason="returned", external_ref="R-1")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ConflictError) as error:
        _refund(conversion, amount="11.00", reason="returned", external_ref="R-1")
    assert error.value.existing_id == first.pk
    assert conversion.refunded_revenue == D("10.00")


def test_a_reversal_cancels_a_refund_and_reopens_a_refunded_conversion(conversion):
    refund, _ = _refund(conversion, amount="100.00", reason="fraud")
    assert conversion.status == Conversion.Status.REFUNDED
    reversal, _ = _refund(conversion, reverses=refund, note="not fraud after all")
    assert (reversal.amount, reversal.amount_without_tax) == (D("-100.00"), D("-80.00"))
    assert conversion.refunded_revenue == 0 and conversion.net_revenue == D("100.00")
    assert conversion.status == Conversion.Status.APPROVED
    with pytest.raises(ValidationError) as error:
        _refund(conversion, reverses=refund)
    assert "reverses" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _refund(conversion, reverses=reversal)
    assert "reverses" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        _refund(conversion, reverses=refund, amount="1.00")
    other = ConversionFactory(organization=conversion.organization)
    with pytest.raises(ValidationError) as error:
        _refund(other, reverses=_refund(conversion, amount="1.00")[0])
    assert "reverses" in error.value.message_dict


def test_partial_then_full_refund_in_a_foreign_currency_nets_to_zero_reference(organization):
    ExchangeRateFactory(currency="CZK", rate=D("25.137"))
    conversion = ConversionFactory(
        organization=organization, revenue="1000.01", revenue_without_tax="826.45", currency="CZK"
    )
    assert conversion.reference_revenue == D("39.78")  # 1000.01 / 25.137 = 39.7824…
    _refund(conversion, amount="333.33")
    assert conversion.reference_refunded_revenue == D("13.26")
    assert conversion.reference_net_revenue == D("26.52")
    _refund(conversion, amount="666.68")
    assert conversion.net_revenue == D("0.00")
    assert conversion.reference_net_revenue == D("0.00")
    assert conversion.reference_net_revenue_without_tax == D("0.00")
    for credit in Attribution.objects.filter(conversion=conversion):
        assert credit.reference_refunded_revenue == credit.reference_revenue


def test_revaluation_keeps_refunds_consistent(organization):
    rate = ExchangeRateFactory(currency="CZK", rate=D("25"))
    conversion = ConversionFactory(organization=organization, revenue="100.00", currency="CZK")
    _refund(conversion, amount="100.00")
    from conversions.services import conversions_revalue, exchange_rate_update

    exchange_rate_update(exchange_rate=rate, rate=D("24.3"))
    conversions_revalue(currency="CZK", since=rate.date)
    conversion.refresh_from_db()
    assert conversion.reference_revenue == D("4.12")
    assert conversion.reference_refunded_revenue == D("4.12")
    assert conversion.reference_net_revenue == D("0.00")


def test_a_split_credit_conversions_credited_refunds_follow_the_weights_to_the_cent(organization):
    contact_email = "split@example.com"
    conversion = ConversionFactory(organization=organization, email=contact_email, revenue="0.00")
    contact = conversion.contact
    campaigns = [CampaignFactory(organization=organization) for _ in range(3)]
    now = timezone.now()
    for index, campaign in enumerate(campaigns):
        TouchpointFactory(
            organization=organization, contact=contact, campaign=campaign, occurred_at=now - timedelta(hours=5 - index)
        )
    conversion = ConversionFactory(
        organization=organization,
        email=contact_email,
        revenue="100.00",
        revenue_without_tax="100.00",
        attribution_model="linear",
        converted_at=now - timedelta(hours=1),
    )
    _refund(conversion, amount="10.00")
    credit = list(Attribution.objects.filter(conversion=conversion).order_by("-refunded_revenue", "campaign_id"))
    assert len(credit) == 3
    assert sorted(row.refunded_revenue for row in credit) == [D("3.33"), D("3.33"), D("3.34")]
    assert sum(row.refunded_revenue for row in credit) == D("10.00")
    assert sum(row.revenue - row.refunded_revenue for row in credit) == conversion.net_revenue
    for row in credit:  # credited net = credited gross − credited refunds, per target
        assert row.revenue in (D("33.33"), D("33.34"))
    _refund(conversion, amount="0.01")
    assert sum(Attribution.objects.filter(conversion=conversion).values_list("refunded_revenue", flat=True)) == D(
        "10.01"
    )


def test_a_delivery_credit_refund_counts_for_its_campaign(organization):
    campaign = CampaignFactory(organization=organization)
    delivery = DeliveryFactory(organization=organization, campaign=campaign)
    conversion = ConversionFactory(organization=organization, delivery=delivery, revenue="50.00")
    _refund(conversion, amount="20.00")
    credit = Attribution.objects.get(conversion=conversion)
    assert (credit.campaign_id, credit.delivery_id, credit.refunded_revenue) == (campaign.pk, delivery.pk, D("20.00"))


def test_lowering_revenue_below_what_was_refunded_is_a_400(conversion):
    _refund(conversion, amount="40.00")  # 32.00 without tax
    with pytest.raises(ValidationError) as error:
        conversion_update(conversion=conversion, revenue="39.99", revenue_without_tax="32.00")
    assert list(error.value.message_dict) == ["revenue"]
    assert "40.00" in error.value.message_dict["revenue"][0]
    conversion.refresh_from_db()
    assert conversion.revenue == D("100.00")
    with pytest.raises(ValidationError) as error:
        conversion_update(conversion=conversion, revenue_without_tax="31.99")
    assert list(error.value.message_dict) == ["revenue_without_tax"]
    conversion_update(conversion=conversion, revenue="50.00", revenue_without_tax="40.00")
    conversion.refresh_from_db()
    assert conversion.net_revenue == D("10.00") and conversion.status == Conversion.Status.APPROVED
    conversion_update(conversion=conversion, revenue="40.00", revenue_without_tax="32.00")
    conversion.refresh_from_db()
    assert conversion.net_revenue == 0 and conversion.status == Conversion.Status.REFUNDED  # reached by itself


def test_a_fully_refunded_conversion_keeps_its_status_until_a_reversal(conversion):
    refund, _ = _refund(conversion, amount="100.00")
    with pytest.raises(ValidationError) as error:
        conversion_update(conversion=conversion, status="approved")
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        conversions_set_status(conversions=Conversion.objects.filter(pk=conversion.pk), status="pending")
    conversion_update(conversion=conversion, notes="still refunded")  # other edits are fine


def test_currency_and_time_cannot_move_away_from_the_refunds(conversion):
    _refund(conversion, amount="1.00", refunded_at=conversion.converted_at + timedelta(minutes=1))
    with pytest.raises(ValidationError) as error:
        conversion_update(conversion=conversion, currency="USD")
    assert "currency" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        conversion_update(conversion=conversion, converted_at=conversion.converted_at + timedelta(minutes=2))
    assert "converted_at" in error.value.message_dict


def test_status_refunded_by_update_writes_the_ledger_entry(conversion):
    _refund(conversion, amount="25.00")
    conversion_update(conversion=conversion, status="refunded")
    conversion.refresh_from_db()
    last = conversion.refunds.order_by("-created_at").first()
    assert (last.amount, last.amount_without_tax, last.reason) == (D("75.00"), D("60.00"), "other")
    assert conversion.net_revenue == 0 and conversion.reference_net_revenue == 0


def test_status_refunded_at_creation_writes_the_ledger_entry(organization):
    conversion = ConversionFactory(organization=organization, revenue="12.34", status="refunded")
    refund = conversion.refunds.get()
    assert (refund.amount, refund.reason) == (D("12.34"), "other")
    assert conversion.net_revenue == 0 and conversion.reference_net_revenue == 0
    free = ConversionFactory(organization=organization, revenue="0.00", status="refunded")
    assert not free.refunds.exists() and free.status == "refunded"


def test_status_refunded_in_bulk_writes_one_entry_each(organization):
    rows = [ConversionFactory(organization=organization, revenue=f"{index}.00") for index in range(1, 4)]
    _refund(rows[0], amount="0.50")
    changed = conversions_set_status(
        conversions=Conversion.objects.filter(organization=organization), status="refunded"
    )
    assert changed == 3
    for row in rows:
        row.refresh_from_db()
        assert row.status == "refunded" and row.net_revenue == 0
    assert rows[0].refunds.count() == 2 and rows[1].refunds.get().amount == D("2.00")


def test_the_nightly_check_repairs_refunded_sums_from_the_ledger(conversion):
    _refund(conversion, amount="10.00")
    Conversion.objects.filter(pk=conversion.pk).update(refunded_revenue=D("0.00"))
    assert conversion_refunds_recount(conversion=conversion)
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == D("10.00")
    Attribution.objects.filter(conversion=conversion).update(refunded_revenue=D("9.99"))
    Conversion.objects.filter(pk=conversion.pk).update(refunded_revenue=D("0.00"))
    repaired = conversions_derived_check(
        organization=conversion.organization, first_day=conversion.converted_date, last_day=conversion.converted_date
    )
    assert repaired == [str(conversion.pk)]
    conversion.refresh_from_db()
    assert conversion.refunded_revenue == D("10.00")
    assert not conversion_refunds_recount(conversion=conversion)


def test_raising_the_revenue_of_a_refunded_conversion_refunds_the_increase(conversion):
    _refund(conversion, amount="100.00")
    conversion_update(conversion=conversion, revenue="120.00", revenue_without_tax="96.00")
    conversion.refresh_from_db()
    last = conversion.refunds.order_by("-created_at").first()
    assert (last.amount, last.amount_without_tax, last.reason) == (D("20.00"), D("16.00"), "other")
    assert conversion.status == Conversion.Status.REFUNDED and conversion.net_revenue == 0
