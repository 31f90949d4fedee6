"""Contract audit of /reporting/v1/: any valid YYYY-MM-DD range is answered, also at the ends of the calendar."""

import pytest

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


@pytest.mark.parametrize("offset", ["9223372036854775807", "99999999999999999999"])
def test_an_offset_past_any_database_integer_is_an_empty_page(api, organization, offset):
    response = api.get("/reporting/v1/conversions", {"offset": offset})

    assert response.status_code == 200, response.content
    assert response.json()["conversions"] == []
    assert response.json()["paging"] == {"start": int(offset), "count": 0, "totalCount": 0}
