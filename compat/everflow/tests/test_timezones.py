"""GET /compat/everflow/v1/meta/timezones and the timezone table the adapter reads ``timezone_id`` through."""

import zoneinfo
from datetime import UTC, datetime

import pytest

from ..timezones import EVERFLOW_TIMEZONES, UTC_TIMEZONE_ID, timezones_listing, zone_name_for
from .conftest import TIMEZONES_URL


def test_the_listing_has_everflows_shape(everflow):
    response = everflow.get(TIMEZONES_URL)
    assert response.status_code == 200
    rows = response.json()["timezones"]
    assert len(rows) == len(EVERFLOW_TIMEZONES)
    for row in rows:
        assert set(row) == {"timezone_id", "timezone_name", "timezone", "utc_offset"}
        assert isinstance(row["timezone_id"], int)
    by_id = {row["timezone_id"]: row for row in rows}
    assert by_id[67] == {
        "timezone_id": 67,
        "timezone_name": "Greenwich Mean Time (UTC)",
        "timezone": "UTC",
        "utc_offset": "+00:00",
    }
    assert by_id[80]["timezone"] == "America/New_York"
    assert by_id[80]["utc_offset"] in ("-05:00", "-04:00")
    assert by_id[1]["timezone_name"] == "Line Is. Time (Pacific/Kiritimati)"
    assert by_id[1]["utc_offset"] == "+14:00"


def test_everflows_documented_ids():
    assert UTC_TIMEZONE_ID == 67
    assert zone_name_for(67) == "UTC"
    assert zone_name_for(80) == "America/New_York"
    assert zone_name_for(85) == "America/Chicago"
    assert zone_name_for(99) == "Pacific/Pago_Pago"
    assert zone_name_for(90) == "America/Los_Angeles"  # the seed's example id (inferred, see the module)
    assert zone_name_for(17) is None and zone_name_for(0) is None


def test_every_zone_of_the_table_is_a_real_iana_zone():
    available = zoneinfo.available_timezones()
    for row in EVERFLOW_TIMEZONES.values():
        assert row.zone in available, row
        zoneinfo.ZoneInfo(row.zone)
    assert len({row.zone for row in EVERFLOW_TIMEZONES.values()}) == len(EVERFLOW_TIMEZONES)


@pytest.mark.parametrize(
    ("at", "new_york", "sydney", "chatham"),
    [
        (datetime(2025, 1, 15, 12, tzinfo=UTC), "-05:00", "+11:00", "+13:45"),
        (datetime(2025, 7, 15, 12, tzinfo=UTC), "-04:00", "+10:00", "+12:45"),
    ],
)
def test_utc_offset_is_the_one_in_effect(at, new_york, sydney, chatham):
    offsets = {row["timezone_id"]: row["utc_offset"] for row in timezones_listing(at)}
    assert offsets[67] == "+00:00"
    assert offsets[80] == new_york
    assert offsets[12] == sydney
    assert offsets[4] == chatham
    assert offsets[99] == "-11:00"


def test_the_listing_is_public_reference_data_and_takes_no_parameters(client, everflow, other_everflow):
    # Everflow's metadata API declares no security: the same table for anyone, with or without a key.
    public = client.get(TIMEZONES_URL)
    assert public.status_code == 200
    assert public.json() == everflow.get(TIMEZONES_URL).json() == other_everflow.get(TIMEZONES_URL).json()
    assert client.get(TIMEZONES_URL, HTTP_X_EFLOW_API_KEY="not-a-key").status_code == 200
    response = everflow.get(TIMEZONES_URL, {"limit": 1})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["fields"]
    assert everflow.post(TIMEZONES_URL, {}, format="json").status_code == 405
    assert everflow.put(TIMEZONES_URL).status_code == 405
    assert everflow.get(f"{TIMEZONES_URL}/").status_code == 200
