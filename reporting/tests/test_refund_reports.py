"""Gross, refunded and net in every report (issue 13), on the hand-checked dataset of conftest.py plus refunds.

Refunds (reference at 25 CZK, 400 HUF per EUR; PLN has no rate):

=====  ==================  =====================  ==============================
order  refund with tax     without (same share)   reference refunded w / wo
=====  ==================  =====================  ==============================
A      302.50 CZK          250.00                 12.10 / 10.00
D      1000.00 HUF         787.50                 2.50 / 1.97 (1.96875 rounded)
E      5.00 PLN            5.00                   unknown (0)
=====  ==================  =====================  ==============================

Totals of DAY (approved): gross 182.60 / 150.52, refunded 14.60 / 11.97, net 168.00 / 138.55 EUR.
"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from conversions.models import RollupMark
from conversions.services import campaign_create, delivery_create, refund_create, touchpoint_create
from conversions.tests.factories import ConversionFactory
from reporting.models import ConversionRollup, CreditRollup
from reporting.services import rollup_drain, rollup_repair

from .conftest import DAY, local

RANGE = {"dateFrom": DAY.isoformat(), "dateTo": DAY.isoformat()}


def _get(api, path, **params):
    response = api.get(f"/reporting/v1{path}", params)
    assert response.status_code == 200, response.json()
    return response.json()


def _refund(conversion, amount):
    refund_create(organization=conversion.organization, conversion=conversion, amount=Decimal(amount))


@pytest.fixture
def refunded(dataset):
    _refund(dataset["A"], "302.50")
    _refund(dataset["D"], "1000.00")
    _refund(dataset["E"], "5.00")
    return dataset


@pytest.mark.django_db
@pytest.mark.parametrize("drained", [False, True], ids=["dirty days, raw rows", "clean days, rollups"])
def test_totals_show_gross_refunded_and_net(api, refunded, drained):
    if drained:
        assert rollup_drain() > 0
    conversions = _get(api, "/conversions/totals", **RANGE)["conversions"]

    assert (conversions["conversionsAmountWTax"], conversions["conversionsAmountWoTax"]) == (182.6, 150.52)
    assert (conversions["refundedAmountWTax"], conversions["refundedAmountWoTax"]) == (14.6, 11.97)
    assert (conversions["netAmountWTax"], conversions["netAmountWoTax"]) == (168, 138.55)
    assert conversions["conversionsNumber"] == 8  # refunds do not change what was converted
    rows = {row["currency"]: row for row in conversions["breakdown"]}
    assert {key: rows["CZK"][key] for key in rows["CZK"] if "refunded" in key or "net" in key} == {
        "refundedAmountWTax": 302.5,
        "refundedAmountWoTax": 250,
        "netAmountWTax": 1512.5,
        "netAmountWoTax": 1250,
        "refundedAmountWTaxReference": 12.1,
        "refundedAmountWoTaxReference": 10,
        "netAmountWTaxReference": 60.5,
        "netAmountWoTaxReference": 50,
    }
    assert (rows["HUF"]["refundedAmountWoTaxReference"], rows["HUF"]["netAmountWoTaxReference"]) == (1.97, 5.91)
    assert (rows["PLN"]["refundedAmountWTax"], rows["PLN"]["netAmountWTax"]) == (5, 5)
    assert (rows["PLN"]["refundedAmountWTaxReference"], rows["PLN"]["netAmountWTaxReference"]) == (0, 0)
    assert (rows["EUR"]["refundedAmountWTax"], rows["EUR"]["netAmountWTax"]) == (0, 100)


@pytest.mark.django_db
def test_history_and_timeframe_rows_show_refunds_on_the_conversions_day(api, refunded):
    history = _get(
        api,
        "/conversions/history",
        interval="day",
        dateFrom=DAY.isoformat(),
        dateTo=(DAY + timedelta(days=1)).isoformat(),
    )["history"]
    day, next_day = history
    assert (day["refundedAmountWTax"], day["refundedAmountWoTax"]) == (14.6, 11.97)
    assert (day["netAmountWTax"], day["netAmountWoTax"]) == (168, 138.55)
    assert (next_day["refundedAmountWTax"], next_day["netAmountWTax"]) == (0, 50)
    by_hour = {row["hour"]: row for row in _get(api, "/conversions/timeframe", by="hour", **RANGE)["timeframe"]}
    assert by_hour[9]["refundedAmountWTax"] == 12.1  # A at 09:30


@pytest.mark.django_db
def test_list_rows_show_refunded_and_net(api, refunded):
    rows = {row["orderId"]: row for row in _get(api, "/conversions", **RANGE)["conversions"]}
    assert (rows["A"]["refundedAmount"], rows["A"]["netAmount"], rows["A"]["netReferenceAmount"]) == (
        302.5,
        907.5,
        36.3,
    )
    assert (rows["E"]["refundedAmount"], rows["E"]["netAmount"], rows["E"]["netReferenceAmount"]) == (5, 5, None)
    assert (rows["C"]["refundedAmount"], rows["C"]["netAmount"]) == (0, 100)


@pytest.mark.django_db
def test_a_full_refund_makes_the_conversion_refunded_and_nets_to_zero(api, refunded):
    _refund(refunded["C"], "100.00")
    approved = _get(api, "/conversions/totals", **RANGE)["conversions"]
    assert approved["conversionsAmountWTax"] == 82.6  # C left the approved figures: it is refunded now
    both = _get(api, "/conversions/totals", status="approved,refunded", **RANGE)["conversions"]
    eur = next(row for row in both["breakdown"] if row["currency"] == "EUR")
    assert (eur["conversionsAmountWTax"], eur["refundedAmountWTax"], eur["netAmountWTax"]) == (100, 100, 0)
    only_refunded = _get(api, "/conversions/totals", status="refunded", **RANGE)["conversions"]
    assert (only_refunded["netAmountWTax"], only_refunded["netAmountWoTax"]) == (0, 0)


@pytest.mark.django_db
def test_credited_figures_subtract_credited_refunds(api, organization, rates, contacts):
    campaign = campaign_create(organization=organization, name="Summer")
    delivery = delivery_create(organization=organization, name="Summer mail", campaign=campaign)
    sold = ConversionFactory(
        organization=organization, delivery=delivery, revenue="200.00", currency="CZK", converted_at=local(DAY, 11)
    )
    ConversionFactory(organization=organization, revenue="70.00", converted_at=local(DAY, 12))  # no credit
    _refund(sold, "50.00")
    for target in ({"campaignId": str(campaign.pk)}, {"deliveryId": str(delivery.pk)}):
        conversions = _get(api, "/conversions/totals", **target, **RANGE)["conversions"]
        assert conversions["conversionsAmountWTax"] == 8  # 200 CZK
        assert (conversions["refundedAmountWTax"], conversions["netAmountWTax"]) == (2, 6)
        rows = _get(api, "/conversions/history", **target, **RANGE)["history"]
        assert (rows[0]["refundedAmountWTax"], rows[0]["netAmountWTax"]) == (2, 6)
    rollup_drain()
    conversions = _get(api, "/conversions/totals", campaignId=str(campaign.pk), **RANGE)["conversions"]
    assert (conversions["refundedAmountWTax"], conversions["netAmountWTax"]) == (2, 6)


@pytest.mark.django_db
def test_the_nightly_check_and_rebuild_aggregates_cover_the_refunded_sums(api, organization, refunded):
    rollup_drain()
    before = _get(api, "/conversions/totals", **RANGE)
    ConversionRollup.objects.filter(currency="CZK").update(refunded_revenue=0, reference_refunded_revenue=0)
    assert _get(api, "/conversions/totals", **RANGE) != before  # the corrupted rollup is read
    assert rollup_repair(organization_id=organization.pk, since=DAY, until=DAY) == [(organization.pk, DAY)]
    assert _get(api, "/conversions/totals", **RANGE) == before
    ConversionRollup.objects.all().delete()
    CreditRollup.objects.all().delete()
    RollupMark.objects.all().delete()
    out = StringIO()
    call_command("rebuild_aggregates", "--organization", "acme", "--since", "2024-07-01", stdout=out, stderr=StringIO())
    assert "Repaired 2 day(s)" in out.getvalue()
    assert ConversionRollup.objects.filter(currency="CZK").get(status="approved").refunded_revenue == Decimal("302.50")
    assert _get(api, "/conversions/totals", **RANGE) == before


@pytest.mark.django_db
def test_the_worked_example_of_docs_refunds_md(api, organization, rates, contacts):
    x = campaign_create(organization=organization, name="X")
    y = campaign_create(organization=organization, name="Y")
    for hour, campaign in ((8, x), (9, y)):
        touchpoint_create(
            organization=organization, contact=contacts["one"], campaign=campaign, kind="click",
            occurred_at=local(DAY, hour),
        )  # fmt: skip
    sold = ConversionFactory(
        organization=organization, contact=contacts["one"], revenue="1000.00", revenue_without_tax="826.45",
        currency="CZK", attribution_model="linear", converted_at=local(DAY, 10),
    )  # fmt: skip
    assert (sold.reference_revenue, sold.reference_revenue_without_tax) == (Decimal("40.00"), Decimal("33.06"))
    first, _ = refund_create(organization=organization, conversion=sold, amount=Decimal("300.00"), reason="returned")
    assert first.amount_without_tax == Decimal("247.94")
    totals = _get(api, "/conversions/totals", **RANGE)["conversions"]
    assert [totals[key] for key in ("conversionsAmountWTax", "refundedAmountWTax", "netAmountWTax")] == [40, 12, 28]
    assert [totals[key] for key in ("conversionsAmountWoTax", "refundedAmountWoTax", "netAmountWoTax")] == [
        33.06, 9.92, 23.14,
    ]  # fmt: skip
    czk = totals["breakdown"][0]
    assert (czk["refundedAmountWoTax"], czk["netAmountWoTax"], czk["netAmountWTaxReference"]) == (247.94, 578.51, 28)
    credited = _get(api, "/conversions/totals", campaignId=str(x.pk), **RANGE)["conversions"]
    assert (credited["conversionsAmountWTax"], credited["refundedAmountWTax"], credited["netAmountWTax"]) == (20, 6, 14)
    row = _get(api, "/conversions", **RANGE)["conversions"][0]
    assert (row["refundedAmount"], row["netAmount"], row["netReferenceAmount"]) == (300, 700, 28)
    second, _ = refund_create(organization=organization, conversion=sold, amount=Decimal("700.00"))
    assert second.amount_without_tax == Decimal("578.51")
    sold.refresh_from_db()
    assert sold.status == "refunded" and sold.reference_net_revenue == Decimal("0.00")
    both = _get(api, "/conversions/totals", status="approved,refunded", **RANGE)["conversions"]
    assert (both["conversionsAmountWTax"], both["refundedAmountWTax"], both["netAmountWTax"]) == (40, 40, 0)
    refund_create(organization=organization, conversion=sold, reverses=second)
    sold.refresh_from_db()
    assert sold.status == "approved" and (sold.net_revenue, sold.reference_net_revenue) == (700, Decimal("28.00"))
