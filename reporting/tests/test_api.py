"""Reporting v1 over HTTP: seed shapes, parameters (every 400), tenancy, 404s, routes and the schema."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import api_key_create
from conversions.services import campaign_create, delivery_create
from conversions.tests.factories import ConversionFactory
from reporting.api.serializers import HISTORY_MAX_ROWS
from reporting.services import rollup_drain

from .conftest import DAY, local

BASE = "/reporting/v1"
RANGE = {"dateFrom": DAY.isoformat(), "dateTo": DAY.isoformat()}


def _get(client, path, **params):
    return client.get(f"{BASE}{path}", params)


def _error_fields(response) -> dict:
    body = response.json()
    assert body["error"]["type"] == "validation_error", body
    return body["error"]["fields"]


@pytest.mark.django_db
def test_totals_have_the_seed_shape_and_numbers(api, dataset):
    response = _get(api, "/conversions/totals", **RANGE)
    assert response.status_code == 200
    assert response.json() == {
        "uniqueContacts": 4,
        "averageUniqueConversion": 45.65,
        "conversions": {
            "conversionsAmountWoTax": 150.52,
            "conversionsAmountWTax": 182.6,
            "conversionsNumber": 8,
            "currency": "EUR",
            "averageConversion": 22.83,
            # No refunds in this dataset: nothing refunded, net = gross (test_refund_reports has refunds).
            "refundedAmountWTax": 0,
            "refundedAmountWoTax": 0,
            "netAmountWTax": 182.6,
            "netAmountWoTax": 150.52,
            "breakdown": [
                {
                    "currency": "CZK",
                    "conversionsAmountWoTax": 1500,
                    "conversionsAmountWTax": 1815,
                    "conversionsNumber": 3,
                    "averageConversion": 605,
                    "conversionAmountWoTaxReference": 60,
                    "conversionAmountWTaxReference": 72.6,
                    "refundedAmountWTax": 0,
                    "refundedAmountWoTax": 0,
                    "netAmountWTax": 1815,
                    "netAmountWoTax": 1500,
                    "refundedAmountWTaxReference": 0,
                    "refundedAmountWoTaxReference": 0,
                    "netAmountWTaxReference": 72.6,
                    "netAmountWoTaxReference": 60,
                },
                {
                    "currency": "HUF",
                    "conversionsAmountWoTax": 3150,
                    "conversionsAmountWTax": 4000,
                    "conversionsNumber": 3,
                    "averageConversion": 1333.33,
                    "conversionAmountWoTaxReference": 7.88,
                    "conversionAmountWTaxReference": 10,
                    "refundedAmountWTax": 0,
                    "refundedAmountWoTax": 0,
                    "netAmountWTax": 4000,
                    "netAmountWoTax": 3150,
                    "refundedAmountWTaxReference": 0,
                    "refundedAmountWoTaxReference": 0,
                    "netAmountWTaxReference": 10,
                    "netAmountWoTaxReference": 7.88,
                },
                {
                    "currency": "EUR",
                    "conversionsAmountWoTax": 82.64,
                    "conversionsAmountWTax": 100,
                    "conversionsNumber": 1,
                    "averageConversion": 100,
                    "conversionAmountWoTaxReference": 82.64,
                    "conversionAmountWTaxReference": 100,
                    "refundedAmountWTax": 0,
                    "refundedAmountWoTax": 0,
                    "netAmountWTax": 100,
                    "netAmountWoTax": 82.64,
                    "refundedAmountWTaxReference": 0,
                    "refundedAmountWoTaxReference": 0,
                    "netAmountWTaxReference": 100,
                    "netAmountWoTaxReference": 82.64,
                },
                {
                    "currency": "PLN",
                    "conversionsAmountWoTax": 10,
                    "conversionsAmountWTax": 10,
                    "conversionsNumber": 1,
                    "averageConversion": 10,
                    "conversionAmountWoTaxReference": 0,
                    "conversionAmountWTaxReference": 0,
                    "refundedAmountWTax": 0,
                    "refundedAmountWoTax": 0,
                    "netAmountWTax": 10,
                    "netAmountWoTax": 10,
                    "refundedAmountWTaxReference": 0,
                    "refundedAmountWoTaxReference": 0,
                    "netAmountWTaxReference": 0,
                    "netAmountWoTaxReference": 0,
                },
            ],
        },
    }
    assert b"78230752.0" not in response.content  # whole amounts are rendered without a fraction
    assert b'"conversionsNumber":8,' in response.content


@pytest.mark.django_db
def test_a_write_is_in_every_report_the_moment_its_call_returned(api, dataset):
    rollup_drain()
    before = _get(api, "/conversions/totals", **RANGE).json()
    created = api.post(
        "/api/v1/conversions/",
        {"revenue": "10.00", "currency": "EUR", "converted_at": local(DAY, 11).isoformat(), "email": "new@example.com"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    after = _get(api, "/conversions/totals", **RANGE).json()
    assert after["conversions"]["conversionsNumber"] == before["conversions"]["conversionsNumber"] + 1
    assert after["uniqueContacts"] == before["uniqueContacts"] + 1
    history = _get(api, "/conversions/history", **RANGE).json()["history"]
    assert history[0]["conversionsAmountWTax"] == after["conversions"]["conversionsAmountWTax"]
    listing = _get(api, "/conversions", **RANGE).json()
    assert listing["paging"]["totalCount"] == 6


@pytest.mark.django_db
def test_history_by_day_week_and_month(api, dataset):
    params = {"dateFrom": (DAY - timedelta(days=1)).isoformat(), "dateTo": (DAY + timedelta(days=1)).isoformat()}
    by_day = _get(api, "/conversions/history", interval="day", **params).json()
    assert by_day["currency"] == "EUR" and by_day["interval"] == "day"
    assert by_day["history"] == [
        {
            "date": "2024-07-09",
            "conversionsNumber": 0,
            "conversionsAmountWoTax": 0,
            "conversionsAmountWTax": 0,
            "uniqueContacts": 0,
            "refundedAmountWTax": 0,
            "refundedAmountWoTax": 0,
            "netAmountWTax": 0,
            "netAmountWoTax": 0,
        },
        {
            "date": "2024-07-10",
            "conversionsNumber": 8,
            "conversionsAmountWoTax": 150.52,
            "conversionsAmountWTax": 182.6,
            "uniqueContacts": 4,
            "refundedAmountWTax": 0,
            "refundedAmountWoTax": 0,
            "netAmountWTax": 182.6,
            "netAmountWoTax": 150.52,
        },
        {
            "date": "2024-07-11",
            "conversionsNumber": 1,
            "conversionsAmountWoTax": 50,
            "conversionsAmountWTax": 50,
            "uniqueContacts": 1,
            "refundedAmountWTax": 0,
            "refundedAmountWoTax": 0,
            "netAmountWTax": 50,
            "netAmountWoTax": 50,
        },
    ]
    by_week = _get(api, "/conversions/history", interval="week", **params).json()["history"]
    assert [row["date"] for row in by_week] == ["2024-07-08"]  # Monday of DAY's week
    assert (by_week[0]["conversionsNumber"], by_week[0]["uniqueContacts"]) == (9, 4)
    by_month = _get(api, "/conversions/history", interval="month", dateFrom="2024-06-20", dateTo="2024-08-01").json()
    assert [row["date"] for row in by_month["history"]] == ["2024-06-01", "2024-07-01", "2024-08-01"]
    assert [row["conversionsNumber"] for row in by_month["history"]] == [0, 9, 0]


@pytest.mark.django_db
def test_timeframe_by_hour_and_weekday(api, dataset):
    by_hour = _get(api, "/conversions/timeframe", by="hour", **RANGE).json()
    assert by_hour["currency"] == "EUR" and by_hour["by"] == "hour"
    assert [row["hour"] for row in by_hour["timeframe"]] == list(range(24))
    assert set(by_hour["timeframe"][9]) == {
        "hour",
        "conversionsNumber",
        "conversionsAmountWoTax",
        "conversionsAmountWTax",
        "uniqueContacts",
        "refundedAmountWTax",
        "refundedAmountWoTax",
        "netAmountWTax",
        "netAmountWoTax",
    }
    numbers = {row["hour"]: row["conversionsNumber"] for row in by_hour["timeframe"] if row["conversionsNumber"]}
    assert numbers == {0: 1, 9: 2, 10: 1, 14: 1, 23: 3}  # local hours of A, B, C, D, E
    by_weekday = _get(api, "/conversions/timeframe", by="weekday", dateFrom="2024-07-08", dateTo="2024-07-14").json()
    assert [row["weekday"] for row in by_weekday["timeframe"]] == list(range(1, 8))
    assert [row["conversionsNumber"] for row in by_weekday["timeframe"]] == [0, 0, 8, 1, 0, 0, 0]  # Wed, Thu


@pytest.mark.django_db
def test_conversion_list_rows_and_paging(api, dataset, organization):
    response = _get(api, "/conversions", sort="-conversionsAmount", limit=2, offset=1, **RANGE)
    assert response.status_code == 200
    body = response.json()
    assert body["paging"] == {"start": 1, "count": 2, "totalCount": 5}
    first = body["conversions"][0]
    conversion = dataset["A"]
    assert first == {
        "conversionId": str(conversion.pk),
        "contactId": str(conversion.contact_id),
        "clientContactId": "client-one",
        "deliveryId": None,
        "campaignId": None,
        "datetime": "2024-07-10T09:30:00+02:00",
        "orderId": "A",
        "firstName": "One",
        "surname": "Doe",
        "conversionsAmount": 1210,
        "conversionsCurrency": "CZK",
        "conversionsReferenceAmount": 48.4,
        "refundedAmount": 0,
        "netAmount": 1210,
        "netReferenceAmount": 48.4,
        "country": "CZ",
    }
    assert [row["orderId"] for row in body["conversions"]] == ["A", "B"]  # after D (4000 HUF)
    unvalued = _get(api, "/conversions", currency="PLN", **RANGE).json()["conversions"][0]
    assert unvalued["conversionsReferenceAmount"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("datetime", ["E", "A", "B", "C", "D"]),
        ("-datetime", ["D", "C", "B", "A", "E"]),
        ("conversionsReferenceAmount", ["D", "B", "A", "C", "E"]),  # unknown reference amounts last
        ("-conversionsReferenceAmount", ["C", "A", "B", "D", "E"]),
        ("orderId", ["A", "B", "C", "D", "E"]),
        ("country,-orderId", ["E", "D", "C", "B", "A"]),
    ],
)
def test_conversion_list_sorts(api, dataset, sort, expected):
    rows = _get(api, "/conversions", sort=sort, **RANGE).json()["conversions"]
    assert [row["orderId"] for row in rows] == expected


@pytest.fixture
def credited(organization, dataset):
    """A campaign with two deliveries; A credited to the first, B to the second, C to a delivery without one."""
    campaign = campaign_create(organization=organization, name="Summer")
    first = delivery_create(organization=organization, name="First", campaign=campaign)
    second = delivery_create(organization=organization, name="Second", campaign=campaign)
    lone = delivery_create(organization=organization, name="Lone")
    from conversions.services import conversion_update

    conversion_update(conversion=dataset["A"], delivery=first)
    conversion_update(conversion=dataset["B"], delivery=second)
    conversion_update(conversion=dataset["C"], delivery=lone)
    return {"campaign": campaign, "first": first, "second": second, "lone": lone}


@pytest.mark.django_db
@pytest.mark.parametrize("drained", [False, True])
def test_credit_filters_and_scoped_lists(api, credited, drained):
    if drained:
        rollup_drain()
    campaign, first = credited["campaign"], credited["first"]
    totals = _get(api, "/conversions/totals", campaignId=str(campaign.pk), **RANGE).json()
    assert totals["conversions"]["conversionsNumber"] == 3
    assert totals["conversions"]["conversionsAmountWTax"] == 72.6
    assert totals["uniqueContacts"] == 2
    delivery_totals = _get(api, "/conversions/totals", deliveryId=str(first.pk), **RANGE).json()
    assert (delivery_totals["conversions"]["conversionsNumber"], delivery_totals["uniqueContacts"]) == (2, 1)
    listing = _get(api, f"/deliveries/{first.pk}/conversions", **RANGE).json()
    assert [row["orderId"] for row in listing["conversions"]] == ["A"]
    assert listing["conversions"][0]["deliveryId"] == str(first.pk)
    assert listing["conversions"][0]["campaignId"] == str(campaign.pk)
    by_campaign = _get(api, f"/campaigns/{campaign.pk}/conversions/", **RANGE).json()
    assert sorted(row["orderId"] for row in by_campaign["conversions"]) == ["A", "B"]
    assert by_campaign["paging"]["totalCount"] == 2
    everything = _get(api, "/conversions", sort="orderId", **RANGE).json()["conversions"]
    assert everything[2]["deliveryId"] == str(credited["lone"].pk) and everything[2]["campaignId"] is None


@pytest.mark.django_db
def test_scoped_lists_take_their_target_from_the_path_only(api, credited):
    first, campaign = credited["first"], credited["campaign"]
    response = _get(api, f"/deliveries/{first.pk}/conversions", deliveryId=str(first.pk))
    assert response.status_code == 400 and "deliveryId" in _error_fields(response)
    response = _get(api, f"/campaigns/{campaign.pk}/conversions", campaignId=str(campaign.pk))
    assert response.status_code == 400 and "campaignId" in _error_fields(response)
    both = _get(api, f"/campaigns/{campaign.pk}/conversions", deliveryId=str(first.pk), **RANGE).json()
    assert [row["orderId"] for row in both["conversions"]] == ["A"]


@pytest.mark.django_db
def test_linear_credit_counts_fractions(api, organization, contacts, rates):
    from conversions.services import touchpoint_create

    campaign = campaign_create(organization=organization, name="Split")
    deliveries = [delivery_create(organization=organization, name=f"D{i}", campaign=campaign) for i in range(3)]
    for index, delivery in enumerate(deliveries):
        touchpoint_create(
            organization=organization,
            contact=contacts["one"],
            delivery=delivery,
            kind="click",
            occurred_at=local(DAY, 1 + index),
        )
    ConversionFactory(
        organization=organization,
        contact=contacts["one"],
        revenue="100.00",
        attribution_model="linear",
        converted_at=local(DAY, 12),
    )
    per_delivery = _get(api, "/conversions/totals", deliveryId=str(deliveries[0].pk), **RANGE).json()
    assert per_delivery["conversions"]["conversionsNumber"] == 0.33
    assert per_delivery["conversions"]["conversionsAmountWTax"] == 33.34  # the odd cent goes to the first row
    per_campaign = _get(api, "/conversions/totals", campaignId=str(campaign.pk), **RANGE).json()
    assert per_campaign["conversions"]["conversionsNumber"] == 1
    assert per_campaign["conversions"]["conversionsAmountWTax"] == 100
    rollup_drain()
    assert _get(api, "/conversions/totals", deliveryId=str(deliveries[0].pk), **RANGE).json() == per_delivery


@pytest.mark.django_db
def test_defaults_are_the_last_30_days_and_approved(api, organization):
    today = timezone.localdate(timezone=organization.zone)
    ConversionFactory(organization=organization, revenue="5.00", converted_at=timezone.now() - timedelta(minutes=1))
    ConversionFactory(organization=organization, revenue="7.00", converted_at=local(today - timedelta(days=29), 12))
    ConversionFactory(organization=organization, revenue="9.00", converted_at=local(today - timedelta(days=30), 12))
    ConversionFactory(organization=organization, revenue="11.00", status="pending")
    history = _get(api, "/conversions/history").json()["history"]
    assert len(history) == 30 and history[0]["date"] == (today - timedelta(days=29)).isoformat()
    assert _get(api, "/conversions/totals").json()["conversions"]["conversionsAmountWTax"] == 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/conversions/totals", {"foo": "1"}, "foo"),
        ("/conversions/totals", {"limit": "10"}, "limit"),
        ("/conversions/totals", {"dateFrom": "2024-7-10"}, "dateFrom"),
        ("/conversions/totals", {"dateFrom": "2024/07/10"}, "dateFrom"),
        ("/conversions/totals", {"dateTo": "20240710"}, "dateTo"),
        ("/conversions/totals", {"dateTo": "2024-02-30"}, "dateTo"),
        ("/conversions/totals", {"dateFrom": "2024-07-11", "dateTo": "2024-07-10"}, "dateFrom"),
        ("/conversions/totals", {"country": "XX"}, "country"),
        ("/conversions/totals", {"country": "CZ,,SK"}, "country"),
        ("/conversions/totals", {"currency": "EURO"}, "currency"),
        ("/conversions/totals", {"currency": "EUR,XYZ"}, "currency"),
        ("/conversions/totals", {"campaignId": "not-a-uuid"}, "campaignId"),
        ("/conversions/totals", {"campaignId": str(uuid.uuid4())}, "campaignId"),
        ("/conversions/totals", {"deliveryId": str(uuid.uuid4())}, "deliveryId"),
        ("/conversions/totals", {"type": "sale"}, "type"),
        ("/conversions/totals", {"status": "approved,lost"}, "status"),
        ("/conversions/history", {"interval": "year"}, "interval"),
        ("/conversions/history", {"by": "hour"}, "by"),
        ("/conversions/timeframe", {"by": "minute"}, "by"),
        ("/conversions/timeframe", {"interval": "day"}, "interval"),
        ("/conversions", {"limit": "0"}, "limit"),
        ("/conversions", {"limit": "1001"}, "limit"),
        ("/conversions", {"limit": "ten"}, "limit"),
        ("/conversions", {"offset": "-1"}, "offset"),
        ("/conversions", {"sort": "revenue"}, "sort"),
        ("/conversions", {"sort": "-datetime,contactId"}, "sort"),
        ("/conversions", {"interval": "day"}, "interval"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, path, params, field):
    response = _get(api, path, **params)
    assert response.status_code == 400, response.json()
    assert field in _error_fields(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/conversions/totals", {"dateFrom": "2024-07-10", "dateTo": "2024-07-10"}),
        ("/conversions/totals", {"country": "cz,SK", "currency": "eur", "type": "purchase,signup"}),
        ("/conversions/totals", {"status": "approved,pending,rejected,refunded"}),
        ("/conversions/history", {"interval": "week"}),
        ("/conversions/timeframe", {"by": "weekday"}),
        ("/conversions", {"limit": "1", "offset": "0"}),
        ("/conversions", {"limit": "1000", "offset": "5000"}),
        ("/conversions", {"sort": "-datetime,conversionsAmount,country,orderId,conversionsReferenceAmount"}),
    ],
)
def test_good_parameters_just_inside_the_limits(api, path, params):
    assert _get(api, path, **params).status_code == 200


@pytest.mark.django_db
def test_history_size_limit(api):
    last = DAY
    inside = last - timedelta(days=HISTORY_MAX_ROWS - 1)
    response = _get(api, "/conversions/history", dateFrom=inside.isoformat(), dateTo=last.isoformat())
    assert response.status_code == 200 and len(response.json()["history"]) == HISTORY_MAX_ROWS
    outside = inside - timedelta(days=1)
    response = _get(api, "/conversions/history", dateFrom=outside.isoformat(), dateTo=last.isoformat())
    assert response.status_code == 400 and "interval" in _error_fields(response)
    assert _get(api, "/conversions/history", interval="week", dateFrom=outside.isoformat()).status_code == 200


@pytest.mark.django_db
def test_tenancy(api, other_api, other_organization, credited):
    other_totals = _get(other_api, "/conversions/totals", **RANGE).json()
    assert other_totals["conversions"]["conversionsNumber"] == 0 and other_totals["conversions"]["currency"] == "USD"
    assert _get(other_api, "/conversions", **RANGE).json()["paging"]["totalCount"] == 0
    campaign_id = str(credited["campaign"].pk)
    response = _get(other_api, "/conversions/totals", campaignId=campaign_id, **RANGE)
    assert response.status_code == 400 and "campaignId" in _error_fields(response)
    response = _get(other_api, "/conversions/history", deliveryId=str(credited["first"].pk))
    assert response.status_code == 400 and "deliveryId" in _error_fields(response)
    assert _get(other_api, f"/campaigns/{campaign_id}/conversions").status_code == 404
    assert _get(other_api, f"/deliveries/{credited['first'].pk}/conversions").json()["error"]["type"] == "not_found"
    assert _get(api, f"/campaigns/{campaign_id}/conversions").status_code == 200


@pytest.mark.django_db
def test_unknown_ids_in_the_path_are_a_404(api):
    for path in (f"/deliveries/{uuid.uuid4()}/conversions", f"/campaigns/{uuid.uuid4()}/conversions/"):
        response = _get(api, path)
        assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"
    assert _get(api, "/deliveries/" + "-" * 36 + "/conversions").status_code == 404


@pytest.mark.django_db
def test_routes_trailing_slash_unknown_routes_and_methods(api):
    assert _get(api, "/conversions/totals/").status_code == 200
    assert _get(api, "/conversions/").status_code == 200
    for path in ("/nothing", "/conversions/totals/extra", "/"):
        response = _get(api, path)
        assert response.status_code == 404 and response.json()["error"]["type"] == "not_found"
    response = api.post(f"{BASE}/conversions/totals", {}, format="json")
    assert response.status_code == 405 and "error" in response.json()


@pytest.mark.django_db
def test_authentication(client, organization, read_only_api):
    response = client.get(f"{BASE}/conversions/totals")
    assert response.status_code == 401 and response.json()["error"]["type"] == "authentication_error"
    assert client.get(f"{BASE}/conversions", HTTP_X_API_KEY="cm_bad").status_code == 401
    secret = api_key_create(organization=organization)[1]
    assert client.get(f"{BASE}/conversions", HTTP_X_API_KEY=secret).status_code == 200
    assert read_only_api.get(f"{BASE}/conversions/timeframe").status_code == 200


@pytest.mark.django_db
def test_the_list_runs_a_bounded_number_of_queries(api, dataset, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = _get(api, "/conversions", **RANGE)
    assert response.json()["paging"]["count"] == 5
    with django_assert_max_num_queries(7):
        _get(api, "/conversions/totals", **RANGE)


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_page_size(api, dataset, django_assert_num_queries):
    _get(api, "/conversions", limit=1, **RANGE)  # the key's last_used_at is written at most once a minute: do it now
    with CaptureQueriesContext(connection) as page_of_one:
        assert _get(api, "/conversions", limit=1, **RANGE).json()["paging"]["count"] == 1
    with django_assert_num_queries(len(page_of_one.captured_queries)):
        assert _get(api, "/conversions", limit=50, **RANGE).json()["paging"]["count"] == 5


@pytest.mark.django_db
def test_the_schema_documents_reporting(api):
    response = api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/reporting/v1/conversions/totals",
        "/reporting/v1/conversions",
        "/reporting/v1/conversions/history",
        "/reporting/v1/conversions/timeframe",
        "/reporting/v1/deliveries/{id}/conversions",
        "/reporting/v1/campaigns/{id}/conversions",
    ):
        assert path in paths, path  # documented as in the seed, without the optional trailing slash
    totals = paths["/reporting/v1/conversions/totals"]
    parameters = {parameter["name"] for parameter in totals["get"]["parameters"]}
    assert {"dateFrom", "dateTo", "country", "currency", "campaignId", "deliveryId", "type", "status"} <= parameters
    assert "contribute 0" in totals["get"]["description"]
    totals_component = schema["components"]["schemas"]["ReportingTotals"]
    assert set(totals_component["properties"]) == {"uniqueContacts", "averageUniqueConversion", "conversions"}


# --- Any valid YYYY-MM-DD range is answered, also at the ends of the calendar ---------------------------------------

RANGES = [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-03-31")]
REPORTS = [
    "/reporting/v1/conversions",
    "/reporting/v1/conversions/totals",
    "/reporting/v1/conversions/history?interval=day",
    "/reporting/v1/conversions/history?interval=week",
    "/reporting/v1/conversions/history?interval=month",
    "/reporting/v1/conversions/timeframe?by=hour",
    "/reporting/v1/conversions/timeframe?by=weekday",
]


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize(("date_from", "date_to"), RANGES)
def test_reports_answer_ranges_at_the_ends_of_the_calendar(api, organization, report, date_from, date_to):
    separator = "&" if "?" in report else "?"
    response = api.get(f"{report}{separator}dateFrom={date_from}&dateTo={date_to}")

    assert response.status_code == 200, response.content
    body = response.json()
    if "history" in body:
        assert body["history"][-1]["date"] <= date_to
        assert all(row["conversionsNumber"] == 0 for row in body["history"])
    if "conversions" in body and isinstance(body["conversions"], list):
        assert body["paging"] == {"start": 0, "count": 0, "totalCount": 0}


def test_history_of_the_last_month_of_the_calendar_has_its_one_row(api, organization):
    response = api.get("/reporting/v1/conversions/history?interval=month&dateFrom=9999-12-01&dateTo=9999-12-31")

    assert response.status_code == 200, response.content
    assert [row["date"] for row in response.json()["history"]] == ["9999-12-01"]


# --- Limits of the list -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", ["9223372036854775807", "99999999999999999999"])
def test_an_offset_past_any_database_integer_is_an_empty_page(api, organization, offset):
    response = api.get("/reporting/v1/conversions", {"offset": offset})

    assert response.status_code == 200, response.content
    assert response.json()["conversions"] == []
    assert response.json()["paging"] == {"start": int(offset), "count": 0, "totalCount": 0}


def test_more_query_parameters_than_django_accepts_is_a_400_envelope(api, organization):
    query = "&".join(f"p{index}=1" for index in range(1100))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1000

    response = api.get(f"{BASE}/conversions?{query}")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["type"] == "validation_error"
