"""The routes of the API as a whole (config/api_urls.py): the OpenAPI 3 schema documents every route of /api/v1/ as
it really answers, the docs work offline, and a route that does not exist is a 404 in the error envelope."""

import re

import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from contacts.api.urls import router as contacts_router
from conversions.api.urls import router as conversions_router
from core.tests.api_contract import assert_envelope

ERROR_REF = "#/components/schemas/ErrorEnvelope"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def routed_paths() -> set[str]:
    """Every route the routers serve, written the OpenAPI way (``{id}``, trailing slash)."""
    paths = set()
    for pattern in [*contacts_router.urls, *conversions_router.urls]:
        regex = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace("/?", "/")
        paths.add(
            "/api/v1/"
            + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: "{" + ("id" if match[1] == "pk" else match[1]) + "}", regex)
        )
    return paths


def test_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_lists_every_route_and_method(schema):
    expected = routed_paths()
    assert len(expected) == 16
    assert expected <= set(schema["paths"])
    for path in expected:
        methods = set(schema["paths"][path]) - {"parameters"}
        if path.startswith("/api/v1/refunds/") or path.endswith("/attribution/"):
            assert methods == {"get"}, path  # the ledger is immutable; refunds are recorded on their conversion
        elif path.endswith("/batch/"):
            assert methods == {"post"}
        elif "{id}" in path:
            assert methods == {"get", "put", "patch", "delete"}, path
        else:
            assert methods == {"get", "post"}, path


def test_the_organization_and_a_conversions_explanation_are_documented(schema):
    organization = schema["paths"]["/api/v1/organization/"]
    assert set(organization) - {"parameters"} == {"get", "patch"}
    assert set(schema["paths"]["/api/v1/conversions/{id}/attribution/"]) - {"parameters"} == {"get"}


def test_a_conversions_refunds_are_listed_and_recorded_on_its_own_path(schema):
    item = schema["paths"]["/api/v1/conversions/{conversion_id}/refunds/"]
    assert set(item) - {"parameters"} == {"get", "post"}
    assert {"201", "200", "400", "404", "409"} <= set(item["post"]["responses"])
    assert "Idempotent-Replayed" in item["post"]["responses"]["200"]["headers"]


def test_single_objects_are_documented_in_the_data_envelope(schema):
    components = schema["components"]["schemas"]
    response = schema["paths"]["/api/v1/conversions/{id}/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    envelope = components[ref.rsplit("/", 1)[1]]
    assert envelope["required"] == ["data"]
    assert envelope["properties"]["data"] == {"$ref": "#/components/schemas/Conversion"}
    listing = schema["paths"]["/api/v1/conversions/"]["get"]["responses"]["200"]["content"]["application/json"]
    paginated = components[listing["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(paginated["properties"]) == {"data", "pagination", "facets"}


def test_conversion_fields_are_the_contract_names(schema):
    components = schema["components"]["schemas"]
    written = set(components["ConversionRequest"]["properties"])
    read = set(components["Conversion"]["properties"])
    assert {"contact_id", "email", "campaign_id", "delivery_id", "timezone", "converted_at", "metadata"} <= written
    assert not written & {"id", "reference_revenue", "attributions", "organization", "created_at"}
    assert {"reference_revenue", "reference_revenue_without_tax", "reference_currency", "attributions"} <= read
    assert not read & {"email", "timezone", "organization"}
    attribution = components["Attribution"]["properties"]
    assert set(attribution) == {"campaign_id", "delivery_id", "weight", "revenue", "reference_revenue"}


def test_error_responses_use_the_error_envelope(schema):
    create = schema["paths"]["/api/v1/conversions/"]["post"]["responses"]
    assert {"201", "200", "400", "401", "403", "409", "429"} <= set(create)
    for code in ("400", "401", "403", "409", "429"):
        assert create[code]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
    assert "Retry-After" in create["429"]["headers"]
    assert "Idempotent-Replayed" in create["200"]["headers"]
    detail = schema["paths"]["/api/v1/contacts/{id}/"]["get"]["responses"]
    assert detail["404"]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
    error = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]
    assert set(error["properties"]["type"]["enum"]) >= {
        "validation_error", "authentication_error", "permission_error", "not_found", "conflict", "rate_limited",
        "server_error",
    }  # fmt: skip


def test_list_parameters_are_documented(schema):
    names = {parameter["name"] for parameter in schema["paths"]["/api/v1/conversions/"]["get"]["parameters"]}
    assert names >= {
        "limit", "offset", "ordering", "search", "facets", "contact_id", "campaign_id", "delivery_id", "type",
        "status", "currency", "country", "origin", "order_id", "converted_after", "converted_before", "revenue_min",
        "revenue_max",
    }  # fmt: skip


def test_authentication_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["BearerApiKey"]["scheme"] == "bearer"
    assert schemes["HeaderApiKey"]["name"] == "X-Api-Key"


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/conversions/batch/" in (tmp_path / "schema.yaml").read_text()


def test_docs_are_served_without_any_cdn(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    external = re.findall(r"""(?:src|href)=["'](https?:)?//[^"']+""", html)
    assert external == []
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs"):
        assert cdn not in html
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html)
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_unknown_routes_under_the_api_are_404_for_any_method(api, client):
    for response in (
        api.get("/api/v1/nothing-here/"),
        api.post("/api/v1/conversions/x/y/z", {}, format="json"),
        client.delete("/api/v1/"),
        api.get("/api/v1/conversions/not.a.uuid/"),
    ):
        assert_envelope(response, 404, "not_found")
