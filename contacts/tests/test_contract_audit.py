"""Contract audit of /api/v1/contacts/: odd filter values are a 400, never a 500."""

import pytest


@pytest.mark.parametrize("parameter", ["created_after", "created_before"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_created_filters_out_of_range_are_400(api, organization, parameter, value):
    response = api.get("/api/v1/contacts/", {parameter: value})

    assert response.status_code == 400, response.content
    assert response.json()["error"]["type"] == "validation_error"
    assert parameter in response.json()["error"]["fields"]


@pytest.mark.parametrize("parameter", ["created_after", "created_before"])
def test_created_filters_just_inside_the_range_are_200(api, organization, parameter):
    for value in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        assert api.get("/api/v1/contacts/", {parameter: value}).status_code == 200


@pytest.mark.parametrize("offset", ["9223372036854775807", "99999999999999999999"])
def test_an_offset_past_any_database_integer_is_an_empty_page(api, organization, offset):
    api.post("/api/v1/contacts/", {"email": "jane@example.com"}, format="json")

    response = api.get("/api/v1/contacts/", {"offset": offset})

    assert response.status_code == 200, response.content
    assert response.json()["data"] == []
    assert response.json()["pagination"] == {"total": 1, "limit": 100, "offset": int(offset), "has_more": False}
