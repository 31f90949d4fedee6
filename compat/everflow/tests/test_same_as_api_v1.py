"""A conversion recorded through the Everflow adapter is the very conversion /api/v1/ would store, and it is in
/reporting/v1/ as soon as the call returned (read through the real URLs; compat does not import reporting)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversions.models import Conversion

from ..timezones import EVERFLOW_TIMEZONES
from .conftest import URL, body

NOT_COMPARED = ("id", "created_at", "updated_at")

EVERFLOW_BODY = body(
    number_of_conversions=3,
    sale_amount=19.99,
    payout_amount=2.5,
    is_payout_amount_submitted=True,
    revenue_amount=4.25,
    is_revenue_amount_submitted=True,
    event_id=0,
    is_now=False,
    date="2025-11-02 01:30:00",
    timezone_id=80,
    email="Buyer@Example.com",
    coupon_code="AUTUMN",
    internal_notes="partner 39",
    adv1="click-1",
    adv3="sub",
    order_id="EF-1",
)


def api_v1_body(offer, affiliate) -> dict:
    """The same conversion as a /api/v1/ client writes it: the adapter's mapping, by hand."""
    return {
        "type": "purchase",
        "count": 3,
        "revenue": "59.97",
        "payout": "7.50",
        "campaign_id": str(offer.pk),
        "delivery_id": str(affiliate.pk),
        "converted_at": "2025-11-02T01:30:00",
        "timezone": "America/New_York",
        "email": "Buyer@Example.com",
        "coupon_code": "AUTUMN",
        "notes": "partner 39",
        "metadata": {"adv1": "click-1", "adv3": "sub", "revenue_amount": "4.25"},
        "order_id": "EF-1",
    }


def without_ids(data: dict) -> dict:
    return {name: value for name, value in data.items() if name not in NOT_COMPARED}


def test_the_adapter_stores_what_api_v1_stores_for_the_same_conversion(everflow, api, organization, offer, affiliate):
    assert everflow.post(URL, EVERFLOW_BODY, format="json").status_code == 200
    through_adapter = api.get(f"/api/v1/conversions/{Conversion.objects.get().pk}/").json()["data"]
    assert api.delete(f"/api/v1/conversions/{through_adapter['id']}/").status_code == 204

    created = api.post("/api/v1/conversions/", api_v1_body(offer, affiliate), format="json")
    assert created.status_code == 201, created.json()
    direct = api.get(f"/api/v1/conversions/{created.json()['data']['id']}/").json()["data"]

    assert without_ids(through_adapter) == without_ids(direct)
    # And the values are the ones Everflow's body means (not two equal mistakes).
    assert through_adapter["count"] == 3
    assert through_adapter["revenue"] == 59.97 and through_adapter["payout"] == 7.5
    assert through_adapter["converted_at"] == "2025-11-02T05:30:00Z"
    assert through_adapter["currency"] == "EUR"
    assert through_adapter["attributions"][0]["campaign_id"] == str(offer.pk)


def test_the_adapters_order_id_is_the_api_v1_order_id(everflow, api, organization, offer, affiliate):
    """One deduplication key whichever way a conversion came in: /api/v1/ replays what Everflow recorded."""
    assert everflow.post(URL, EVERFLOW_BODY, format="json").status_code == 200
    replay = api.post("/api/v1/conversions/", api_v1_body(offer, affiliate), format="json")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    conflict = api.post("/api/v1/conversions/", {"order_id": "EF-1", "count": 4}, format="json")
    assert conflict.status_code == 409
    assert Conversion.objects.count() == 1


def test_a_recorded_conversion_counts_in_reporting_at_once(everflow, api, organization, offer, affiliate):
    window = {"dateFrom": "2025-11-01", "dateTo": "2025-11-03"}
    before = api.get("/reporting/v1/conversions/totals", window).json()
    assert before["conversions"]["conversionsNumber"] == 0

    assert everflow.post(URL, EVERFLOW_BODY, format="json").status_code == 200

    totals = api.get("/reporting/v1/conversions/totals", window).json()
    assert totals["uniqueContacts"] == 1
    assert totals["conversions"]["conversionsNumber"] == 3
    assert totals["conversions"]["conversionsAmountWTax"] == 59.97
    assert totals["conversions"]["currency"] == "EUR"
    by_offer = api.get("/reporting/v1/conversions/totals", {**window, "campaignId": str(offer.pk)}).json()
    assert by_offer["conversions"]["conversionsNumber"] == 3
    rows = api.get(f"/reporting/v1/deliveries/{affiliate.pk}/conversions", window).json()["conversions"]
    assert [(row["orderId"], row["conversionsAmount"]) for row in rows] == [("EF-1", 59.97)]


def test_a_replay_counts_once_in_reporting(everflow, api, organization, offer, affiliate):
    everflow.post(URL, EVERFLOW_BODY, format="json")
    everflow.post(URL, EVERFLOW_BODY, format="json")
    totals = api.get("/reporting/v1/conversions/totals", {"dateFrom": "2025-11-01", "dateTo": "2025-11-03"}).json()
    assert totals["conversions"]["conversionsNumber"] == 3


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    timezone_id=st.sampled_from(sorted(EVERFLOW_TIMEZONES)),
    wall_clock=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2025, 12, 31, 23, 59, 59)),
    number=st.integers(min_value=1, max_value=50),
    cents=st.integers(min_value=0, max_value=10**8),
)
def test_any_date_zone_count_and_amount_is_stored_as_its_instant_and_totals(
    everflow, organization, offer, affiliate, timezone_id, wall_clock, number, cents
):
    """Property: the date is the wall clock of timezone_id's zone (first occurrence in a repeated hour), and
    revenue = sale_amount × number_of_conversions to the cent."""
    wall_clock = wall_clock.replace(microsecond=0)
    order_id = f"P-{timezone_id}-{wall_clock:%Y%m%d%H%M%S}-{number}-{cents}"
    sale_amount = f"{cents // 100}.{cents % 100:02d}"
    payload = body(
        is_now=False,
        date=f"{wall_clock:%Y-%m-%d %H:%M:%S}",
        timezone_id=timezone_id,
        number_of_conversions=number,
        sale_amount=sale_amount,
        order_id=order_id,
    )
    response = everflow.post(URL, payload, format="json")
    assert response.status_code == 200, response.json()
    conversion = Conversion.objects.get(order_id=order_id)
    zone = ZoneInfo(EVERFLOW_TIMEZONES[timezone_id].zone)
    assert conversion.converted_at == wall_clock.replace(tzinfo=zone).astimezone(UTC)
    assert conversion.converted_at - wall_clock.replace(tzinfo=UTC) < timedelta(hours=15)
    assert conversion.count == number
    assert conversion.revenue * 100 == cents * number
