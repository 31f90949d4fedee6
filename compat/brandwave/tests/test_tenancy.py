"""Tenancy on every Brandwave route: ``organizationId`` names the key's organization (its id or slug) or the route is
a 404 that shows nothing, even for an organization that exists; another organization's conversion is a 404 and
stays as it was; another organization's campaign or delivery as ``sourceId`` is a 400; keys are checked as on
/api/v1/ (401 without one, 403 for a read-only key on a write)."""

import uuid

import pytest

from conversions.models import Conversion
from conversions.tests.factories import DeliveryFactory
from core.tests.api_contract import assert_400_on, assert_envelope

from .conftest import BASE, detail


@pytest.fixture
def mine(api, body):
    """A conversion of organization A, created through the adapter."""
    return api.post(BASE, body(externalRef="MINE", origin="web"), format="json").json()["data"]


@pytest.fixture
def theirs(other_api, other_organization, other_campaign):
    """A conversion of organization B, created through the adapter with B's key."""
    response = other_api.post(
        BASE,
        {
            "organizationId": other_organization.slug,
            "sourceId": str(other_campaign.pk),
            "convertedAt": "2025-01-15T14:30:00Z",
            "externalRef": "THEIRS",
            "origin": "secret-origin",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]


def not_found(response) -> None:
    error = assert_envelope(response, 404, "not_found")
    assert error["fields"] == {}
    assert "items" not in response.json() and "data" not in response.json()


OTHER_REFERENCES = {
    "another existing organization's id": lambda other: str(other.pk),
    "another existing organization's slug": lambda other: other.slug,
    "an unknown id": lambda other: str(uuid.uuid4()),
    "an unknown slug": lambda other: "org_123",
}


@pytest.mark.parametrize("reference", OTHER_REFERENCES.values(), ids=OTHER_REFERENCES.keys())
def test_list_of_another_organization_is_404_and_shows_nothing(api, other_organization, mine, theirs, reference):
    value = reference(other_organization)
    for name in ("organizationId", "organization_id"):
        response = api.get(BASE, {"pageIndex": 0, "pageSize": 100, name: value})
        not_found(response)
        assert b"THEIRS" not in response.content and b"MINE" not in response.content


@pytest.mark.parametrize("reference", OTHER_REFERENCES.values(), ids=OTHER_REFERENCES.keys())
def test_create_in_another_organization_is_404_and_stores_nothing(
    api, body, other_organization, other_campaign, reference
):
    for source in (body()["sourceId"], str(other_campaign.pk)):
        response = api.post(BASE, body(organizationId=reference(other_organization), sourceId=source), format="json")
        not_found(response)
    assert Conversion.objects.count() == 0


def test_another_organization_is_404_before_the_body_is_validated(api, other_organization):
    """Nothing about the body is told for an organization the key does not belong to (not even its 400s)."""
    response = api.post(BASE, {"organization_id": other_organization.slug, "count": 0}, format="json")
    not_found(response)


def test_organization_id_is_the_id_in_any_uuid_spelling_or_the_slug(api, organization, mine):
    for value in (str(organization.pk), str(organization.pk).upper(), organization.pk.hex, organization.slug):
        response = api.get(BASE, {"pageIndex": 0, "pageSize": 10, "organizationId": value})
        assert response.status_code == 200, value
        assert [item["id"] for item in response.json()["items"]] == [mine["id"]]


def test_the_list_shows_only_the_keys_organization_in_items_counts_and_facets(
    api, organization, mine, theirs, other_campaign
):
    page = api.get(BASE, {"pageIndex": 0, "pageSize": 100, "organizationId": organization.slug}).json()
    assert [item["id"] for item in page["items"]] == [mine["id"]]
    assert page["totalCount"] == 1
    assert page["facets"] == {"origin": {"web": 1}, "sourceId": {mine["sourceId"]: 1}}
    assert str(other_campaign.pk) not in str(page) and "secret-origin" not in str(page)


def test_another_organizations_conversion_is_404_on_every_detail_route(api, theirs):
    path = detail(theirs["id"])
    not_found(api.get(path))
    not_found(api.patch(path, {"count": 9, "origin": "hijacked"}, format="json"))
    not_found(api.delete(path))
    stored = Conversion.objects.get(pk=theirs["id"])
    assert (stored.count, stored.origin) == (1, "secret-origin")


@pytest.mark.parametrize("reference", OTHER_REFERENCES.values(), ids=OTHER_REFERENCES.keys())
def test_detail_routes_with_another_organization_id_are_404(api, other_organization, mine, reference):
    query = f"?organizationId={reference(other_organization)}"
    path = detail(mine["id"])
    not_found(api.get(path + query))
    not_found(api.patch(path + query, {"count": 5}, format="json"))
    not_found(api.patch(path, {"count": 5, "organizationId": reference(other_organization)}, format="json"))
    not_found(api.delete(path + query))
    assert Conversion.objects.get(pk=mine["id"]).count == 1


def test_detail_routes_with_the_keys_organization_id(api, organization, mine):
    path = detail(mine["id"])
    assert api.get(f"{path}?organization_id={organization.slug}").status_code == 200
    response = api.patch(f"{path}?organizationId={organization.pk}", {"count": 5}, format="json")
    assert response.status_code == 200
    response = api.patch(path, {"count": 6, "organizationId": organization.slug}, format="json")
    assert response.json()["data"]["count"] == 6
    assert api.delete(f"{path}?organizationId={organization.pk}").status_code == 200


def test_source_of_another_organization_is_400_everywhere(
    api, organization, body, mine, other_organization, other_campaign
):
    other_delivery = DeliveryFactory(organization=other_organization)
    for source in (str(other_delivery.pk), str(other_campaign.pk)):
        assert_400_on(api.post(BASE, body(sourceId=source), format="json"), "sourceId")
        assert_400_on(api.patch(detail(mine["id"]), {"sourceId": source}, format="json"), "sourceId")
        query = {"pageIndex": 0, "pageSize": 10, "organizationId": organization.slug, "sourceId": source}
        assert_400_on(api.get(BASE, query), "sourceId")
    assert Conversion.objects.filter(organization=organization).count() == 1
    assert Conversion.objects.get(pk=mine["id"]).campaign_id is not None


def test_other_campaign_as_source_is_400_like_an_unknown_id(api, body, other_campaign):
    foreign = api.post(BASE, body(sourceId=str(other_campaign.pk)), format="json")
    unknown = api.post(BASE, body(sourceId=str(uuid.uuid4())), format="json")
    assert_400_on(foreign, "sourceId")
    assert_400_on(unknown, "sourceId")
    assert (
        foreign.json()["error"]["fields"]["sourceId"][0].split('"')[0]
        == (unknown.json()["error"]["fields"]["sourceId"][0].split('"')[0])
    )


def test_no_key_is_401_on_every_route(client, organization, mine):
    query = {"pageIndex": 0, "pageSize": 10, "organizationId": organization.slug}
    for response in (
        client.get(BASE, query),
        client.post(BASE, {}, content_type="application/json"),
        client.get(detail(mine["id"])),
        client.patch(detail(mine["id"]), {}, content_type="application/json"),
        client.delete(detail(mine["id"])),
        client.get(BASE, query, HTTP_AUTHORIZATION="Bearer wrong"),
    ):
        assert_envelope(response, 401, "authentication_error")


def test_read_only_key_reads_but_cannot_write(read_only_api, organization, body, mine):
    query = {"pageIndex": 0, "pageSize": 10, "organizationId": organization.slug}
    assert read_only_api.get(BASE, query).status_code == 200
    assert read_only_api.get(detail(mine["id"])).status_code == 200
    assert_envelope(read_only_api.post(BASE, body(), format="json"), 403, "permission_error")
    assert_envelope(read_only_api.patch(detail(mine["id"]), {"count": 3}, format="json"), 403, "permission_error")
    assert_envelope(read_only_api.delete(detail(mine["id"])), 403, "permission_error")
    assert Conversion.objects.get(pk=mine["id"]).count == 1
