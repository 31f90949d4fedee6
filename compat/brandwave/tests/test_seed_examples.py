"""The seed's own example requests (``003_*.txt``), sent byte for byte with real ids where the seed's are fake
(``org_123``, ``...``), and the seed's response shapes (``{ items, totalCount, facets }``, ``{ data }``) checked
field by field. Only the base URL changes: ``/v1/`` becomes ``/compat/brandwave/v1/``."""

import json
import uuid
from datetime import datetime

import pytest

from conversions.models import Conversion

from .conftest import BASE, an_hour_ago, detail

PREFIX = "/compat/brandwave"
ITEM_FIELDS = {
    "id", "organizationId", "sourceId", "sourceType", "convertedAt", "count", "origin", "externalRef", "metadata",
    "createdAt", "updatedAt",
}  # fmt: skip


def seed_headers(secret: str) -> dict:
    """The seed's ``Authorization: Bearer {token}`` (a body's ``Content-Type: application/json`` is set apart)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def seed_post_body(organization_id: str, source_id: str, converted_at: str) -> bytes:
    """The seed's POST body, character for character, with its three placeholders filled in."""
    return (
        "{\n"
        f'  "organization_id": "{organization_id}",\n'
        f'  "source_id": "{source_id}",\n'
        f'  "converted_at": "{converted_at}"\n'
        "}"
    ).encode()


def assert_item(item: dict, *, conversion: Conversion) -> None:
    """One conversion in Brandwave's shape, field by field, against the stored row."""
    assert set(item) == ITEM_FIELDS
    assert item["id"] == str(conversion.pk)
    assert item["organizationId"] == str(conversion.organization_id)
    expected_source = conversion.delivery_id or conversion.campaign_id
    assert item["sourceId"] == (str(expected_source) if expected_source else None)
    assert item["sourceType"] == (
        "delivery" if conversion.delivery_id else "campaign" if conversion.campaign_id else None
    )
    assert datetime.fromisoformat(item["convertedAt"]) == conversion.converted_at
    assert item["convertedAt"].endswith("Z")
    assert item["count"] == conversion.count
    assert item["origin"] == (conversion.origin or None)
    assert item["externalRef"] == conversion.order_id
    assert item["metadata"] == conversion.metadata
    assert datetime.fromisoformat(item["createdAt"]) == conversion.created_at
    assert datetime.fromisoformat(item["updatedAt"]) == conversion.updated_at


@pytest.mark.parametrize("organization_reference", ["id", "slug"])
def test_seed_post_example_byte_for_byte(client, api_key_secret, organization, campaign, organization_reference):
    organization_id = str(organization.pk) if organization_reference == "id" else organization.slug
    converted_at = an_hour_ago()
    raw = seed_post_body(organization_id, str(campaign.pk), converted_at)
    assert raw.startswith(b'{\n  "organization_id": ')

    response = client.generic(
        "POST", f"{PREFIX}/v1/conversions", raw, content_type="application/json", **seed_headers(api_key_secret)
    )

    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"data"}
    conversion = Conversion.objects.get()
    assert_item(body["data"], conversion=conversion)
    # What the seed sent, stored as our conversion: the campaign's full credit, its time, and our defaults.
    assert (conversion.organization, conversion.campaign, conversion.delivery) == (organization, campaign, None)
    assert body["data"]["convertedAt"] == converted_at
    assert body["data"]["sourceType"] == "campaign"
    assert (conversion.count, conversion.origin, conversion.order_id, conversion.metadata) == (1, "", None, {})
    assert (conversion.type, conversion.status, conversion.currency) == ("custom", "approved", "EUR")
    assert [(row.campaign_id, row.weight) for row in conversion.attributions.all()] == [(campaign.pk, 1)]


def test_seed_list_example_byte_for_byte(client, api, api_key_secret, organization, body, delivery):
    first = api.post(BASE, body(origin="website", convertedAt=an_hour_ago(hours=2)), format="json").json()["data"]
    second = api.post(BASE, body(sourceId=str(delivery.pk), origin="app"), format="json").json()["data"]

    # The seed's line with its organization id replaced:
    # GET /v1/conversions?page_index=0&page_size=25&organization_id=org_123
    response = client.get(
        f"{PREFIX}/v1/conversions?page_index=0&page_size=25&organization_id={organization.pk}",
        **seed_headers(api_key_secret),
    )

    assert response.status_code == 200, response.content
    page = response.json()
    assert set(page) == {"items", "totalCount", "facets"}
    assert page["totalCount"] == 2
    assert [item["id"] for item in page["items"]] == [second["id"], first["id"]]  # newest first
    by_id = {item["id"]: item for item in page["items"]}
    for item in page["items"]:
        assert_item(item, conversion=Conversion.objects.get(pk=item["id"]))
    assert by_id[second["id"]]["sourceType"] == "delivery"
    assert page["facets"] == {
        "origin": {"app": 1, "website": 1},
        "sourceId": {str(delivery.pk): 1, body()["sourceId"]: 1},
    }


def test_seed_get_example(client, api, api_key_secret, body):
    created = api.post(BASE, body(count=3, externalRef="BW-1", metadata={"post": "reel"}), format="json")
    pk = created.json()["data"]["id"]

    response = client.get(f"{PREFIX}/v1/conversions/{pk}", **seed_headers(api_key_secret))

    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"data"}
    assert_item(payload["data"], conversion=Conversion.objects.get(pk=pk))
    assert payload["data"] == created.json()["data"]


def test_seed_patch_example_with_every_documented_field(client, api, api_key_secret, body, delivery):
    pk = api.post(BASE, body(externalRef="BW-1", metadata={"a": 1}), format="json").json()["data"]["id"]
    converted_at = an_hour_ago()
    raw = json.dumps(
        {
            "sourceId": str(delivery.pk),
            "convertedAt": converted_at,
            "count": 4,
            "origin": "app",
            "externalRef": "BW-2",
            "metadata": {"story": True},
        }
    )

    response = client.generic(
        "PATCH", f"{PREFIX}/v1/conversions/{pk}", raw, content_type="application/json", **seed_headers(api_key_secret)
    )

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    conversion = Conversion.objects.get(pk=pk)
    assert_item(data, conversion=conversion)
    assert (data["sourceId"], data["sourceType"], data["count"], data["origin"]) == (
        str(delivery.pk),
        "delivery",
        4,
        "app",
    )
    assert (data["externalRef"], data["metadata"], data["convertedAt"]) == ("BW-2", {"story": True}, converted_at)
    assert (conversion.campaign_id, conversion.delivery_id) == (None, delivery.pk)


def test_seed_patch_nullable_fields(api, body):
    pk = api.post(BASE, body(externalRef="BW-1", metadata={"a": 1}), format="json").json()["data"]["id"]

    response = api.patch(detail(pk), {"externalRef": None, "metadata": None}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["data"]["externalRef"], response.json()["data"]["metadata"]) == (None, {})
    conversion = Conversion.objects.get(pk=pk)
    assert (conversion.order_id, conversion.metadata) == (None, {})


def test_seed_delete_example_answers_the_deleted_record(client, api, api_key_secret, body):
    created = api.post(BASE, body(externalRef="BW-1"), format="json").json()["data"]

    response = client.delete(f"{PREFIX}/v1/conversions/{created['id']}", **seed_headers(api_key_secret))

    assert response.status_code == 200
    assert response.json() == {"data": created}
    assert not Conversion.objects.filter(pk=created["id"]).exists()
    assert client.get(detail(created["id"]), **seed_headers(api_key_secret)).status_code == 404


@pytest.mark.parametrize("slash", ["", "/"])
def test_routes_answer_with_and_without_trailing_slash(api, organization, body, slash):
    created = api.post(f"{BASE}{slash}", body(), format="json")
    assert created.status_code == 201
    pk = created.json()["data"]["id"]
    listed = api.get(f"{BASE}{slash}", {"pageIndex": 0, "pageSize": 1, "organizationId": str(organization.pk)})
    assert listed.json()["totalCount"] == 1
    assert api.get(f"{detail(pk)}{slash}").status_code == 200


def test_put_is_not_a_brandwave_method(api, body):
    pk = api.post(BASE, body(), format="json").json()["data"]["id"]
    for response in (api.put(detail(pk), body(), format="json"), api.put(f"{detail(pk)}?organizationId=x", {})):
        assert response.status_code == 405
        assert response.json()["error"]["type"] == "validation_error"


def test_x_api_key_header_works_too(client, api_key_secret, organization):
    response = client.get(
        BASE, {"pageIndex": 0, "pageSize": 1, "organizationId": organization.slug}, HTTP_X_API_KEY=api_key_secret
    )
    assert response.status_code == 200


def test_unknown_id_is_404_in_the_envelope(api):
    for path in (detail(uuid.uuid4()), detail("not-a-uuid")):
        for response in (api.get(path), api.patch(path, {"count": 2}, format="json"), api.delete(path)):
            assert response.status_code == 404
            assert response.json()["error"]["type"] == "not_found"
