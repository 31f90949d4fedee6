"""Contract audit: places where the API answered other than CONTRACT.md says, each pinned through the real routes.

- The same payload POSTed twice is a replay (200), also when it spells a default as ``null`` or ``""``.
- One bad batch item (``null`` included) never blocks the others.
- Odd times (year 1, year 9999) and odd JSON strings (NUL, lone surrogates) are a 400, never a 500.
- ``import_rates`` refuses a rate that does not fit the rate column instead of storing it.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Organization
from contacts.tests.factories import ContactFactory
from conversions.models import Conversion, ExchangeRate, Touchpoint
from conversions.tests.factories import CampaignFactory

URL = "/api/v1/conversions/"
BATCH_URL = "/api/v1/conversions/batch/"


def post(api, body):
    return api.post(URL, body, format="json")


def assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert field in error["fields"], error


# --- Deduplication: the same payload twice is a replay -------------------------------------------------------------

SAME_PAYLOAD_TWICE = {
    "revenue_without_tax null": {"revenue": 10, "revenue_without_tax": None},
    "currency blank": {"currency": ""},
    "country blank": {"country": "", "contact_id": "{contact}"},
    "email with contact_id null": {"email": "new@example.com", "contact_id": None},
    "contact_id with email null": {"contact_id": "{contact}", "email": None},
    "contact_id with email blank": {"contact_id": "{contact}", "email": ""},
}


@pytest.mark.parametrize("body", SAME_PAYLOAD_TWICE.values(), ids=SAME_PAYLOAD_TWICE.keys())
def test_the_same_payload_twice_is_a_replay_even_with_defaults_spelled_out(api, organization, body):
    contact = ContactFactory(organization=organization, email="jane@example.com", country="SK")
    body = {name: str(contact.pk) if value == "{contact}" else value for name, value in body.items()}
    body["order_id"] = "ORD-1"

    first = post(api, body)
    assert first.status_code == 201, first.json()
    again = post(api, body)

    assert again.status_code == 200, again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert Conversion.objects.count() == 1


def test_a_default_spelled_out_that_differs_from_the_stored_value_is_still_a_conflict(api, organization):
    stored = post(api, {"order_id": "ORD-1", "revenue": 10, "revenue_without_tax": 8, "currency": "USD"}).json()
    for body in ({"revenue_without_tax": None}, {"currency": ""}):
        response = post(api, {"order_id": "ORD-1", "revenue": 10, **body})
        assert response.status_code == 409, response.json()
        assert response.json()["error"]["existing_id"] == stored["data"]["id"]


def test_batch_replays_a_repeated_item_that_spells_a_default_as_null(api, organization):
    item = {"order_id": "ORD-1", "revenue": 10, "revenue_without_tax": None, "currency": ""}
    assert api.post(BATCH_URL, {"conversions": [item]}, format="json").json()["summary"]["created"] == 1

    response = api.post(BATCH_URL, {"conversions": [item]}, format="json")

    assert response.status_code == 200
    assert response.json()["summary"] == {"created": 0, "duplicates": 1, "errors": 0}


# --- Batch: one bad item never blocks the others -------------------------------------------------------------------


def test_a_null_batch_item_is_an_error_of_its_own(api, organization):
    response = api.post(BATCH_URL, {"conversions": [{"order_id": "ORD-1"}, None, {"order_id": "ORD-2"}]}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [result["status"] for result in body["data"]] == ["created", "error", "created"]
    assert body["data"][1]["error"]["type"] == "validation_error"
    assert body["summary"] == {"created": 2, "duplicates": 0, "errors": 1}
    assert Conversion.objects.count() == 2


# --- Times out of range: a 400, never a 500 ------------------------------------------------------------------------

OUT_OF_RANGE_TIMES = [
    "0001-01-01T00:00:00",  # naive, read in Europe/Prague: before year 1 in UTC
    "0001-01-01T00:30:00+01:00",  # with an offset: before year 1 in UTC
    "0001-01-03T00:00:00Z",  # its attribution window starts before year 1
]


@pytest.mark.parametrize("converted_at", OUT_OF_RANGE_TIMES)
def test_converted_at_out_of_range_is_400_on_create_update_and_batch(api, organization, converted_at):
    contact = ContactFactory(organization=organization)
    assert_400_on(post(api, {"converted_at": converted_at, "contact_id": str(contact.pk)}), "converted_at")
    assert Conversion.objects.count() == 0

    stored = post(api, {"revenue": 1}).json()["data"]
    response = api.patch(f"{URL}{stored['id']}/", {"converted_at": converted_at}, format="json")
    assert_400_on(response, "converted_at")
    assert Conversion.objects.get().converted_at.year > 1

    batch = api.post(BATCH_URL, {"conversions": [{"converted_at": converted_at}]}, format="json")
    assert batch.status_code == 200
    assert batch.json()["data"][0]["status"] == "error"
    assert "converted_at" in batch.json()["data"][0]["error"]["fields"]
    assert Conversion.objects.count() == 1


def test_touchpoint_whose_attribution_reach_is_past_year_9999_is_400(api, organization):
    body = {
        "contact_id": str(ContactFactory(organization=organization).pk),
        "campaign_id": str(CampaignFactory(organization=organization).pk),
        "kind": "open",
        "occurred_at": "9999-12-31T23:00:00Z",
    }
    assert_400_on(api.post("/api/v1/touchpoints/", body, format="json"), "occurred_at")
    assert Touchpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/conversions/", "converted_after"),
        ("/api/v1/conversions/", "converted_before"),
        ("/api/v1/touchpoints/", "occurred_after"),
        ("/api/v1/touchpoints/", "occurred_before"),
        ("/api/v1/campaigns/", "sent_after"),
        ("/api/v1/campaigns/", "created_before"),
        ("/api/v1/deliveries/", "created_after"),
    ],
)
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_date_time_filters_out_of_range_are_400(api, organization, path, parameter, value):
    assert_400_on(api.get(path, {parameter: value}), parameter)


# --- Odd strings in metadata: a 400, never a 500 (PostgreSQL's jsonb refuses them) ---------------------------------


@pytest.mark.parametrize(
    "raw_metadata",
    ['{"note": "a\\u0000b"}', '{"a\\u0000": "b"}', '{"note": "\\ud800"}', '{"\\udfff": 1}'],
    ids=["NUL in a value", "NUL in a key", "lone surrogate in a value", "lone surrogate in a key"],
)
def test_metadata_with_nul_or_lone_surrogates_is_400(api, organization, raw_metadata):
    response = api.post(URL, data=f'{{"metadata": {raw_metadata}}}', content_type="application/json")
    assert_400_on(response, "metadata")
    assert Conversion.objects.count() == 0


# --- import_rates: a rate that does not fit the rate column is refused ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rate", ["1e400", "1000000000000", "1.123456789", "0.000000001", "1.0000000000000000000000000001"]
)
def test_import_rates_refuses_a_rate_the_database_cannot_hold(tmp_path, rate):
    path = tmp_path / "rates.csv"
    path.write_text(f"Date,USD,CZK\n2024-01-02,1.0956,{rate}\n")

    with pytest.raises(CommandError, match="Line 2"):
        call_command("import_rates", str(path), stdout=StringIO(), stderr=StringIO())

    assert ExchangeRate.objects.count() == 0


@pytest.mark.django_db
def test_import_rates_takes_a_rate_just_inside_the_column(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("Date,IDR,CZK,USD\n2024-01-02,999999999999.99999999,0.00000001,1.0956000000000\n")

    call_command("import_rates", str(path), stdout=StringIO(), stderr=StringIO())

    assert ExchangeRate.objects.count() == 3


# --- A lone surrogate echoed in an error message: still the 400 envelope -------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw_body", "field"),
    [
        (URL, '{"\\ud800": 1}', "\ud800"),
        (URL, '{"type": "\\ud800"}', "type"),
        (URL, '{"currency": "\\udfff"}', "currency"),
        (BATCH_URL, '{"conversions": [], "\\ud800": 1}', "\ud800"),
        ("/api/v1/campaigns/", '{"name": "Spring", "status": "\\ud800"}', "status"),
    ],
)
def test_a_lone_surrogate_echoed_in_an_error_is_still_a_400_envelope(api, organization, path, raw_body, field):
    response = api.post(path, data=raw_body, content_type="application/json")

    assert_400_on(response, field)


def test_a_lone_surrogate_in_a_batch_item_is_that_item_s_error(api, organization):
    raw_body = '{"conversions": [{"\\ud800": 1}, {"order_id": "ORD-1"}]}'
    response = api.post(BATCH_URL, data=raw_body, content_type="application/json")

    assert response.status_code == 200
    assert [item["status"] for item in response.json()["data"]] == ["error", "created"]


# --- A body nested too deeply to parse: a 400 like malformed JSON ---------------------------------------------------


@pytest.mark.parametrize("path", [URL, BATCH_URL, "/api/v1/contacts/"])
def test_json_nested_too_deeply_to_parse_is_400(api, organization, path):
    depth = 100_000
    response = api.post(path, data='{"metadata": ' + "[" * depth + "]" * depth + "}", content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["type"] == "validation_error"
    assert Conversion.objects.count() == 0


# --- seed_demo: an invalid new organization slug is a CommandError --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["bad slug!", "x" * 51])
def test_seed_demo_for_an_invalid_new_slug_is_a_command_error(slug):
    with pytest.raises(CommandError, match="slug"):
        call_command("seed_demo", organization=slug, conversions=1, stdout=StringIO(), stderr=StringIO())
    assert not Organization.objects.exists()
