"""The Topmail routes are in the served OpenAPI schema, under their own tag, with Topmail's limits and defaults."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATH = "/compat/topmail/api/v1/conversions"


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_both_operations_are_documented_under_the_topmail_tag(schema):
    operations = schema["paths"][PATH]

    assert sorted(operations) == ["get", "post"]
    assert {operation["operationId"]: operation["tags"] for operation in operations.values()} == {
        "topmail_conversions_list": ["Topmail compatibility"],
        "topmail_conversions_create": ["Topmail compatibility"],
    }
    assert {"200", "201", "400", "401", "403", "409"} <= set(operations["post"]["responses"])


def test_the_list_documents_exactly_topmail_parameters_and_limits(schema):
    parameters = {parameter["name"]: parameter["schema"] for parameter in schema["paths"][PATH]["get"]["parameters"]}

    assert sorted(parameters) == ["campaign_id", "contact_id", "limit", "offset", "type"]
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"], parameters["limit"]["default"]) == (
        1, 1000, 100,
    )  # fmt: skip
    assert parameters["offset"]["minimum"] == 0


def test_the_create_body_documents_topmail_fields_defaults_and_limits(schema):
    body = schema["components"]["schemas"]["TopmailConversionRequest"]
    fields = body["properties"]

    assert sorted(fields) == sorted(
        [
            "email", "contact_id", "type", "revenue", "currency", "order_id", "campaign_id", "flow_id",
            "attribution_model", "attribution_window", "metadata", "converted_at",
        ]
    )  # fmt: skip
    assert body["additionalProperties"] is False
    assert body["anyOf"] == [{"required": ["email"]}, {"required": ["contact_id"]}]
    assert fields["revenue"]["type"] == "number" and fields["revenue"]["minimum"] == 0  # a number, no string form
    assert fields["currency"]["default"] == "USD"
    assert fields["order_id"]["maxLength"] == 100
    window = fields["attribution_window"]
    assert (window["minimum"], window["maximum"], window["default"]) == (1, 90, 7)


def test_the_list_answer_has_no_facets(schema):
    answer = schema["components"]["schemas"]["PaginatedTopmailConversionRowList"]

    assert sorted(answer["properties"]) == ["data", "pagination"]
