"""Every Brandwave limit at its edges (just inside: accepted; just outside: a 400 in our envelope that names the
Brandwave field and stores or changes nothing), required fields, both spellings of every name, strict input."""

import pytest

from conversions.models import Conversion
from core.tests.api_contract import assert_400_on

from .conftest import BASE, an_hour_ago, detail


def list_query(organization, **changes) -> dict:
    query = {"pageIndex": 0, "pageSize": 10, "organizationId": str(organization.pk)}
    query.update(changes)
    return {name: value for name, value in query.items() if value is not ...}


def metadata_with_keys(count: int) -> dict:
    return {f"key{index}": index for index in range(count)}


# --- GET conversions: the query -------------------------------------------------------------------------------------

LIST_EDGES = [
    # (changes to a valid query, the parameter named in the 400, or None when it is accepted)
    ({"pageIndex": -1}, "pageIndex"),
    ({"pageIndex": 0}, None),
    ({"pageIndex": 1}, None),
    ({"pageIndex": "a"}, "pageIndex"),
    ({"pageIndex": 1.5}, "pageIndex"),
    ({"pageIndex": ""}, "pageIndex"),
    ({"pageSize": 0}, "pageSize"),
    ({"pageSize": 1}, None),
    ({"pageSize": 100}, None),
    ({"pageSize": 101}, "pageSize"),
    ({"pageSize": ""}, "pageSize"),
    ({"searchTerm": "x" * 200}, None),
    ({"searchTerm": "x" * 201}, "searchTerm"),
    ({"searchTerm": ""}, None),
    ({"sortDirection": "asc"}, None),
    ({"sortDirection": "desc"}, None),
    ({"sortDirection": "up"}, "sortDirection"),
    ({"sortDirection": "ASC"}, "sortDirection"),
    ({"sortBy": "count"}, None),
    ({"sortBy": "externalRef"}, None),
    ({"sortBy": "external_ref"}, None),
    ({"sortBy": "revenue"}, "sortBy"),
    ({"sortBy": ""}, None),
    ({"sourceId": "not-a-uuid"}, "sourceId"),
    ({"sourceId": "00000000-0000-0000-0000-000000000000"}, "sourceId"),
    ({"sourceId": ""}, None),
    ({"pageIndex": ...}, "pageIndex"),
    ({"pageSize": ...}, "pageSize"),
    ({"organizationId": ...}, "organizationId"),
    ({"organizationId": ""}, "organizationId"),
    ({"colour": "red"}, "colour"),
    ({"limit": 10}, "limit"),
]


@pytest.mark.parametrize(("changes", "refused"), LIST_EDGES, ids=[repr(case[0]) for case in LIST_EDGES])
def test_list_query_edges(api, organization, body, changes, refused):
    api.post(BASE, body(externalRef="x" * 200), format="json")
    response = api.get(BASE, list_query(organization, **changes))
    if refused is None:
        assert response.status_code == 200, response.content
        assert response.json()["totalCount"] == 1  # a search term of 200 characters finds the row too
    else:
        assert_400_on(response, refused)
        assert "items" not in response.json()


def test_list_page_index_past_the_end_is_an_empty_page(api, organization, body):
    api.post(BASE, body(), format="json")
    for page_index in (1, 10**30):
        response = api.get(BASE, list_query(organization, pageIndex=page_index, pageSize=100))
        assert response.status_code == 200
        assert (response.json()["items"], response.json()["totalCount"]) == ([], 1)


def test_list_pages_through_every_row_once(api, organization, body):
    created = {
        api.post(BASE, body(convertedAt=an_hour_ago(hours)), format="json").json()["data"]["id"]
        for hours in range(1, 6)
    }
    pages = [api.get(BASE, list_query(organization, pageIndex=index, pageSize=2)).json() for index in range(3)]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert {item["id"] for page in pages for item in page["items"]} == created
    assert {page["totalCount"] for page in pages} == {5}


def test_list_query_names_in_snake_case(api, organization, body, campaign):
    api.post(BASE, body(externalRef="FIND-ME"), format="json")
    api.post(BASE, body(externalRef="OTHER"), format="json")
    query = {
        "page_index": 0, "page_size": 1, "organization_id": organization.slug, "search_term": "find",
        "sort_by": "converted_at", "sort_direction": "desc", "source_id": str(campaign.pk),
    }  # fmt: skip
    response = api.get(BASE, query)
    assert response.status_code == 200, response.content
    assert [item["externalRef"] for item in response.json()["items"]] == ["FIND-ME"]


def test_list_query_name_in_both_spellings_is_400(api, organization):
    response = api.get(BASE, {**list_query(organization), "page_size": 5})
    assert_400_on(response, "pageSize")


# --- POST conversions: the body -------------------------------------------------------------------------------------

CREATE_EDGES = [
    ({"count": 0}, "count"),
    ({"count": 1}, None),
    ({"count": 1_000_000}, None),
    ({"count": 1_000_001}, "count"),
    ({"count": -1}, "count"),
    ({"count": 1.5}, "count"),
    ({"count": "2"}, "count"),
    ({"count": True}, "count"),
    ({"origin": "o" * 50}, None),
    ({"origin": "o" * 51}, "origin"),
    ({"origin": 5}, "origin"),
    ({"externalRef": "r" * 255}, None),
    ({"externalRef": "r" * 256}, "externalRef"),
    ({"externalRef": 12}, "externalRef"),
    ({"metadata": metadata_with_keys(50)}, None),
    ({"metadata": metadata_with_keys(51)}, "metadata"),
    ({"metadata": {"k" * 64: "v"}}, None),
    ({"metadata": {"k" * 65: "v"}}, "metadata"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
    ({"metadata": {"nested": {"no": 1}}}, "metadata"),
    ({"organizationId": ...}, "organizationId"),
    ({"organizationId": ""}, "organizationId"),
    ({"organizationId": 7}, "organizationId"),
    ({"sourceId": ...}, "sourceId"),
    ({"sourceId": None}, "sourceId"),
    ({"sourceId": "not-a-uuid"}, "sourceId"),
    ({"sourceId": "00000000-0000-0000-0000-000000000000"}, "sourceId"),
    ({"sourceId": 5}, "sourceId"),
    ({"convertedAt": ...}, "convertedAt"),
    ({"convertedAt": None}, "convertedAt"),
    ({"convertedAt": "yesterday"}, "convertedAt"),
    ({"convertedAt": "2999-01-01T00:00:00Z"}, "convertedAt"),  # the service's rule: not in the future
    ({"convertedAt": "2025-01-15T14:30:00"}, None),  # no offset: read in the organization's zone
    ({"organization": "acme"}, "organization"),
    ({"revenue": 10}, "revenue"),  # not a Brandwave field
    ({"order_id": "X"}, "order_id"),  # our name, not Brandwave's
]


@pytest.mark.parametrize(("changes", "refused"), CREATE_EDGES, ids=[repr(case[0])[:60] for case in CREATE_EDGES])
def test_create_body_edges(api, body, changes, refused):
    response = api.post(BASE, body(**changes), format="json")
    if refused is None:
        assert response.status_code == 201, response.content
        assert Conversion.objects.count() == 1
    else:
        assert_400_on(response, refused)
        assert Conversion.objects.count() == 0


def test_create_missing_required_fields_are_named_together(api, organization):
    response = api.post(BASE, {"organizationId": organization.slug}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"sourceId", "convertedAt"}
    assert Conversion.objects.count() == 0


def test_create_body_must_be_a_json_object(api):
    for raw in (b"", b"[]", b"null", b"{bad json"):
        response = api.generic("POST", BASE, raw, content_type="application/json")
        assert response.status_code == 400, raw
        assert response.json()["error"]["type"] == "validation_error"
    assert Conversion.objects.count() == 0


def test_create_in_snake_case_equals_camel_case(api, organization, campaign):
    converted_at = an_hour_ago()
    snake = {
        "organization_id": str(organization.pk), "source_id": str(campaign.pk), "converted_at": converted_at,
        "count": 2, "origin": "app", "external_ref": "SNAKE", "metadata": {"a": 1},
    }  # fmt: skip
    response = api.post(BASE, snake, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert (data["sourceId"], data["convertedAt"], data["externalRef"], data["count"]) == (
        str(campaign.pk), converted_at, "SNAKE", 2
    )  # fmt: skip


def test_create_name_in_both_spellings_is_400(api, body, campaign):
    response = api.post(BASE, {**body(), "source_id": str(campaign.pk)}, format="json")
    assert_400_on(response, "sourceId")
    assert Conversion.objects.count() == 0


def test_text_is_trimmed_and_empty_means_none(api, body):
    data = api.post(BASE, body(origin="  app  ", externalRef="  "), format="json").json()["data"]
    assert (data["origin"], data["externalRef"]) == ("app", None)


# --- PATCH conversions/{id} -----------------------------------------------------------------------------------------

PATCH_EDGES = [
    ({"count": 0}, "count"),
    ({"count": 1}, None),
    ({"count": 1_000_000}, None),
    ({"count": 1_000_001}, "count"),
    ({"origin": "o" * 50}, None),
    ({"origin": "o" * 51}, "origin"),
    ({"externalRef": "r" * 255}, None),
    ({"externalRef": "r" * 256}, "externalRef"),
    ({"externalRef": None}, None),
    ({"metadata": metadata_with_keys(50)}, None),
    ({"metadata": metadata_with_keys(51)}, "metadata"),
    ({"metadata": {"k" * 64: 1}}, None),
    ({"metadata": {"k" * 65: 1}}, "metadata"),
    ({"metadata": None}, None),
    ({"sourceId": None}, "sourceId"),
    ({"sourceId": "00000000-0000-0000-0000-000000000000"}, "sourceId"),
    ({"convertedAt": None}, "convertedAt"),
    ({"convertedAt": "2999-01-01T00:00:00Z"}, "convertedAt"),
    ({"organizationId": ""}, "organizationId"),
    ({"revenue": 5}, "revenue"),
    ({}, None),
]


@pytest.mark.parametrize(("changes", "refused"), PATCH_EDGES, ids=[repr(case[0])[:60] for case in PATCH_EDGES])
def test_patch_body_edges(api, body, changes, refused):
    created = api.post(BASE, body(count=7, origin="web", externalRef="KEEP", metadata={"a": 1}), format="json")
    pk = created.json()["data"]["id"]
    before = Conversion.objects.values().get(pk=pk)
    response = api.patch(detail(pk), changes, format="json")
    if refused is None:
        assert response.status_code == 200, response.content
    else:
        assert_400_on(response, refused)
        assert Conversion.objects.values().get(pk=pk) == before


def test_patch_with_snake_case_names(api, body, delivery):
    pk = api.post(BASE, body(), format="json").json()["data"]["id"]
    response = api.patch(detail(pk), {"source_id": str(delivery.pk), "external_ref": "S-1"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["data"]["sourceId"], response.json()["data"]["externalRef"]) == (str(delivery.pk), "S-1")


def test_detail_routes_take_no_other_query_parameter(api, body):
    pk = api.post(BASE, body(), format="json").json()["data"]["id"]
    assert_400_on(api.get(detail(pk), {"pageSize": 1}), "pageSize")
    assert_400_on(api.delete(f"{detail(pk)}?colour=red"), "colour")
    assert Conversion.objects.filter(pk=pk).exists()
