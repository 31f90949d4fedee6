"""Every error path of /api/v1/ answers in the error envelope: 400, 401, 403, 404, 405, 415, 429, 500."""

import pytest
from django.core.cache import cache

from accounts.services import api_key_create
from accounts.throttling import ApiKeyRateThrottle
from conversions.models import Conversion

ROUTES = ["contacts", "campaigns", "deliveries", "touchpoints", "conversions", "exchange-rates"]


def assert_envelope(response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["type"] == error_type
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


@pytest.mark.parametrize("route", ROUTES)
def test_401_without_a_key_on_every_route_and_method(client, db, route):
    url = f"/api/v1/{route}/"
    detail = f"{url}00000000-0000-0000-0000-000000000000/"
    for response in (
        client.get(url),
        client.post(url, {}, content_type="application/json"),
        client.get(detail),
        client.put(detail, {}, content_type="application/json"),
        client.patch(detail, {}, content_type="application/json"),
        client.delete(detail),
    ):
        assert_envelope(response, 401, "authentication_error")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_401_for_a_wrong_scheme_or_a_revoked_key(client, organization):
    from accounts.services import api_key_revoke

    api_key, secret = api_key_create(organization=organization, name="soon revoked")
    assert client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    api_key_revoke(api_key=api_key)
    assert_envelope(client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Bearer {secret}"), 401, "authentication_error")
    assert_envelope(client.get("/api/v1/contacts/", HTTP_AUTHORIZATION=f"Basic {secret}"), 401, "authentication_error")
    assert_envelope(client.get("/api/v1/contacts/", HTTP_AUTHORIZATION="Bearer"), 401, "authentication_error")


def test_unknown_routes_under_the_api_are_404_for_any_method(api, client):
    for response in (
        api.get("/api/v1/nothing-here/"),
        api.post("/api/v1/conversions/x/y/z", {}, format="json"),
        client.delete("/api/v1/"),
        api.get("/api/v1/conversions/not.a.uuid/"),
    ):
        assert_envelope(response, 404, "not_found")


def test_405_for_a_method_a_route_does_not_have(api):
    assert_envelope(api.delete("/api/v1/conversions/"), 405, "validation_error")
    assert_envelope(api.put("/api/v1/contacts/", {}, format="json"), 405, "validation_error")


def test_415_for_a_body_that_is_not_json(api, organization):
    response = api.post("/api/v1/conversions/", "revenue=1", content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 415, "validation_error")
    response = api.post("/api/v1/conversions/", "<conversion/>", content_type="application/xml")
    assert_envelope(response, 415, "validation_error")
    assert Conversion.objects.count() == 0


def test_malformed_json_is_400(api, organization):
    for raw in ('{"revenue": 1', "{'revenue': 1}", '{"revenue": NaN}', ""):
        response = api.post("/api/v1/conversions/", raw, content_type="application/json")
        if raw == "":
            # An empty body is an empty object: nothing required is missing for a conversion.
            assert response.status_code == 201
            continue
        assert_envelope(response, 400, "validation_error")
    assert Conversion.objects.count() == 1


def test_429_with_retry_after_when_the_key_rate_is_exceeded(api, other_api, organization, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/minute"})
    for _ in range(3):
        assert api.get("/api/v1/contacts/").status_code == 200
    response = api.get("/api/v1/contacts/")
    assert_envelope(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 61  # whole seconds, rounded up
    # Writes count too, and the limit is per key: another key is unaffected.
    assert_envelope(api.post("/api/v1/contacts/", {"email": "x@example.com"}, format="json"), 429, "rate_limited")
    assert other_api.get("/api/v1/contacts/").status_code == 200
    cache.clear()


def test_500_is_an_envelope_without_internals(api, organization, monkeypatch):
    from conversions.api.views import ConversionViewSet
    from core.services import ServiceSet

    def explode(**fields):
        raise RuntimeError("boom")

    monkeypatch.setattr(ConversionViewSet, "services", ServiceSet(create=explode))
    response = api.post("/api/v1/conversions/", {"revenue": "1.00"}, format="json")
    error = assert_envelope(response, 500, "server_error")
    assert "boom" not in error["message"]
    assert Conversion.objects.count() == 0


def test_validation_errors_name_every_bad_field(api, organization):
    response = api.post("/api/v1/conversions/", {"count": 0, "revenue": "x", "colour": 1}, format="json")
    error = assert_envelope(response, 400, "validation_error")
    assert set(error["fields"]) == {"colour"}  # unknown fields are refused before anything else
    response = api.post("/api/v1/conversions/", {"count": 0, "revenue": "x"}, format="json")
    error = assert_envelope(response, 400, "validation_error")
    assert set(error["fields"]) == {"count", "revenue"}
    assert "count" in error["message"] and "revenue" in error["message"]
