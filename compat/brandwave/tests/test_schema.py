"""The Brandwave routes in the served OpenAPI schema: their own tag, every operation, and every answer of a real
session with the caller's organization (which schema fuzzing cannot guess) valid against what the schema says."""

import pytest
import requests
import schemathesis
from django.test import Client
from schemathesis.core.transport import Response

from .conftest import BASE, detail

TAG = "Brandwave compatibility"
LIST_PATH = "/compat/brandwave/v1/conversions/"
DETAIL_PATH = "/compat/brandwave/v1/conversions/{id}/"


@pytest.fixture(scope="module")
def served_schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return Client().get("/api/v1/schema/", {"format": "json"}).json()


def test_the_routes_are_documented_under_their_own_tag(served_schema):
    operations = {
        (path, method): operation
        for path, item in served_schema["paths"].items()
        if path.startswith("/compat/brandwave/")
        for method, operation in item.items()
    }
    assert set(operations) == {
        (LIST_PATH, "get"), (LIST_PATH, "post"), (DETAIL_PATH, "get"), (DETAIL_PATH, "patch"), (DETAIL_PATH, "delete"),
    }  # fmt: skip
    assert all(operation["tags"] == [TAG] for operation in operations.values())
    listing = operations[(LIST_PATH, "get")]
    required = {parameter["name"] for parameter in listing["parameters"] if parameter.get("required")}
    assert required == {"pageIndex", "pageSize", "organizationId"}
    assert set(operations[(LIST_PATH, "post")]["responses"]) >= {"200", "201", "400", "401", "403", "404", "409"}
    assert "200" in operations[(DETAIL_PATH, "delete")]["responses"]
    page = served_schema["components"]["schemas"]["BrandwaveList"]
    assert set(page["required"]) == {"items", "totalCount", "facets"}


def validate(schema, method: str, path: str, response) -> None:
    """The Django test response, validated by Schemathesis against the operation's documented answers."""
    request = requests.Request(method, f"http://testserver{response.request['PATH_INFO']}").prepare()
    headers = {name: [value] for name, value in response.headers.items()}
    converted = Response(response.status_code, headers, response.content, request=request, elapsed=0, verify=False)
    schema[path][method].validate_response(converted)


def test_every_answer_of_a_session_matches_the_schema(served_schema, api, organization, body, delivery, other_campaign):
    schema = schemathesis.openapi.from_dict(served_schema)
    sent = body(externalRef="S-1", origin="web", metadata={"a": 1})

    created = api.post(f"{BASE}/", sent, format="json")
    pk = created.json()["data"]["id"]
    answers = [
        ("POST", LIST_PATH, created),
        ("POST", LIST_PATH, api.post(f"{BASE}/", sent, format="json")),  # replay
        ("POST", LIST_PATH, api.post(f"{BASE}/", {**sent, "count": 2}, format="json")),  # 409
        ("POST", LIST_PATH, api.post(f"{BASE}/", body(sourceId=str(other_campaign.pk)), format="json")),  # 400
        ("POST", LIST_PATH, api.post(f"{BASE}/", body(organizationId="globex"), format="json")),  # 404
        ("GET", LIST_PATH, api.get(f"{BASE}/", {"pageIndex": 0, "pageSize": 5, "organizationId": organization.slug})),
        ("GET", LIST_PATH, api.get(f"{BASE}/", {"pageIndex": -1, "pageSize": 5, "organizationId": organization.slug})),
        ("GET", DETAIL_PATH, api.get(f"{detail(pk)}/")),
        ("PATCH", DETAIL_PATH, api.patch(f"{detail(pk)}/", {"sourceId": str(delivery.pk)}, format="json")),
        ("PATCH", DETAIL_PATH, api.patch(f"{detail(pk)}/", {"count": 0}, format="json")),
        ("DELETE", DETAIL_PATH, api.delete(f"{detail(pk)}/")),
        ("GET", DETAIL_PATH, api.get(f"{detail(pk)}/")),  # 404
    ]
    assert [response.status_code for _, _, response in answers] == [
        201, 200, 409, 400, 404, 200, 400, 200, 200, 400, 200, 404
    ]  # fmt: skip
    for method, path, response in answers:
        validate(schema, method, path, response)
