"""The shared API test base: auth, tenancy, read-only keys, CRUD, strict input and list mechanics, run over
every tenant resource of /api/v1/ through real URL routing."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from conversions.models import Campaign, Conversion, Delivery, Touchpoint
from conversions.services import conversion_create
from conversions.tests.factories import CampaignFactory, DeliveryFactory, TouchpointFactory


@dataclass(frozen=True)
class Resource:
    path: str
    model: type
    make: object  # (organization) -> a stored row
    create: object  # (organization) -> a valid POST body
    put: object  # (organization) -> a valid PUT body
    patch: dict = field(default_factory=dict)
    ordering: str = "created_at"
    facet: str = ""

    def __str__(self) -> str:
        return self.path.strip("/").rsplit("/", 1)[-1]


def _touchpoint(organization):
    return TouchpointFactory(
        organization=organization,
        contact=ContactFactory(organization=organization),
        delivery=DeliveryFactory(organization=organization),
    )


def _touchpoint_body(organization):
    return {
        "contact_id": str(ContactFactory(organization=organization).pk),
        "campaign_id": str(CampaignFactory(organization=organization).pk),
        "kind": "open",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
    }


def _conversion(organization):
    return conversion_create(organization=organization, revenue="10.00", converted_at=timezone.now())[0]


RESOURCES = [
    Resource(
        "/api/v1/contacts/",
        Contact,
        make=lambda org: ContactFactory(organization=org),
        create=lambda org: {"email": "New@Example.com", "country": "cz", "language": "cs"},
        put=lambda org: {"email": "put@example.com", "first_name": "Put", "surname": "Person"},
        patch={"surname": "Patched"},
        facet="country",
    ),
    Resource(
        "/api/v1/campaigns/",
        Campaign,
        make=lambda org: CampaignFactory(organization=org),
        create=lambda org: {"name": "Spring sale", "status": "scheduled", "language": "en"},
        put=lambda org: {"name": "Renamed", "status": "sent", "sent_at": timezone.now().isoformat()},
        patch={"status": "archived"},
        facet="status",
    ),
    Resource(
        "/api/v1/deliveries/",
        Delivery,
        make=lambda org: DeliveryFactory(organization=org),
        create=lambda org: {"name": "Welcome flow", "kind": "smartflow", "language": "cs"},
        put=lambda org: {
            "name": "Campaign send",
            "kind": "campaign",
            "campaign_id": str(CampaignFactory(organization=org).pk),
        },
        patch={"language": "de"},
        facet="kind",
    ),
    Resource(
        "/api/v1/touchpoints/",
        Touchpoint,
        make=_touchpoint,
        create=_touchpoint_body,
        put=_touchpoint_body,
        patch={"kind": "delivered"},
        ordering="occurred_at",
        facet="kind",
    ),
    Resource(
        "/api/v1/conversions/",
        Conversion,
        make=_conversion,
        create=lambda org: {"revenue": "10.50", "order_id": "A-1", "type": "purchase"},
        put=lambda org: {"revenue": 12.5, "type": "upgrade", "order_id": "A-2"},
        patch={"status": "refunded"},
        ordering="converted_at",
        facet="status",
    ),
]


@pytest.fixture(params=RESOURCES, ids=str)
def resource(request):
    return request.param


def test_crud_round_trip(api, organization, resource):
    created = api.post(resource.path, resource.create(organization), format="json")
    assert created.status_code == 201, created.json()
    data = created.json()["data"]
    assert set(data) >= {"id", "created_at", "updated_at"}
    detail = f"{resource.path}{data['id']}/"

    listing = api.get(resource.path)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["data"]] == [data["id"]]

    retrieved = api.get(detail)
    assert retrieved.status_code == 200 and retrieved.json()["data"]["id"] == data["id"]

    put_body = resource.put(organization)
    replaced = api.put(detail, put_body, format="json")
    assert replaced.status_code == 200, replaced.json()
    for name, value in put_body.items():
        if name not in ("occurred_at", "sent_at", "revenue"):
            assert replaced.json()["data"][name] == value, name

    patched = api.patch(detail, resource.patch, format="json")
    assert patched.status_code == 200, patched.json()
    for name, value in resource.patch.items():
        assert patched.json()["data"][name] == value
    assert resource.model.objects.get(pk=data["id"]).pk

    deleted = api.delete(detail)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert not resource.model.objects.filter(pk=data["id"]).exists()
    assert api.get(detail).status_code == 404


def test_detail_without_trailing_slash(api, organization, resource):
    row = resource.make(organization)
    assert api.get(f"{resource.path}{row.pk}").status_code == 200


def test_no_key_or_bad_key_is_401(client, organization, resource):
    row = resource.make(organization)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_X_API_KEY": "wrong"}):
        for response in (client.get(resource.path, **headers), client.get(f"{resource.path}{row.pk}/", **headers)):
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "authentication_error"
    assert resource.model.objects.filter(pk=row.pk).exists()


def test_x_api_key_header_is_accepted(client, api_key_secret, organization, resource):
    resource.make(organization)
    response = client.get(resource.path, HTTP_X_API_KEY=api_key_secret)
    assert response.status_code == 200
    assert response.json()["pagination"]["total"] == 1


def test_read_only_key_reads_but_every_write_is_403(read_only_api, organization, resource):
    row = resource.make(organization)
    detail = f"{resource.path}{row.pk}/"
    assert read_only_api.get(resource.path).status_code == 200
    assert read_only_api.get(detail).status_code == 200
    attempts = [
        read_only_api.post(resource.path, resource.create(organization), format="json"),
        read_only_api.put(detail, resource.put(organization), format="json"),
        read_only_api.patch(detail, resource.patch, format="json"),
        read_only_api.delete(detail),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.json()["error"]["type"] == "permission_error"
    assert resource.model.objects.filter(pk=row.pk).count() == 1
    assert resource.model.objects.count() == 1


def test_another_organization_sees_nothing_and_touches_nothing(other_api, organization, resource):
    row = resource.make(organization)
    detail = f"{resource.path}{row.pk}/"
    listing = other_api.get(resource.path, {"facets": resource.facet})
    assert listing.status_code == 200
    assert listing.json()["data"] == []
    assert listing.json()["pagination"]["total"] == 0
    assert listing.json()["facets"] == {resource.facet: {}}
    for response in (
        other_api.get(detail),
        other_api.put(detail, {}, format="json"),
        other_api.patch(detail, resource.patch, format="json"),
        other_api.delete(detail),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "not_found"
    assert resource.model.objects.filter(pk=row.pk).exists()


def test_unknown_or_malformed_id_is_404(api, resource):
    for path in (f"{resource.path}00000000-0000-0000-0000-000000000000/", f"{resource.path}not-a-uuid/"):
        for response in (api.get(path), api.patch(path, {}, format="json"), api.delete(path)):
            assert response.status_code == 404
            assert response.json()["error"]["type"] == "not_found"


def test_unknown_body_field_and_organization_are_refused(api, organization, other_organization, resource):
    for extra in ({"colour": "red"}, {"organization": str(other_organization.pk)}, {"organization_id": "x"}):
        body = {**resource.create(organization), **extra}
        response = api.post(resource.path, body, format="json")
        assert response.status_code == 400
        assert list(extra)[0] in response.json()["error"]["fields"]
    assert resource.model.objects.count() == 0


def test_unknown_query_parameter_is_400(api, organization, resource):
    row = resource.make(organization)
    for path in (resource.path, f"{resource.path}{row.pk}/"):
        response = api.get(path, {"colour": "red"})
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"colour": ["Unknown query parameter."]}


def test_body_must_be_a_json_object(api, resource):
    response = api.post(resource.path, [1, 2], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "validation_error"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"limit": 1}, 200),
        ({"limit": 1000}, 200),
        ({"limit": 0}, 400),
        ({"limit": 1001}, 400),
        ({"limit": "many"}, 400),
        ({"offset": 0}, 200),
        ({"offset": -1}, 400),
    ],
)
def test_pagination_bounds(api, organization, resource, query, status):
    resource.make(organization)
    response = api.get(resource.path, query)
    assert response.status_code == status, response.json()
    if status == 400:
        assert list(query) == list(response.json()["error"]["fields"])


def test_pagination_pages_and_has_more(api, organization, resource):
    for _ in range(3):
        resource.make(organization)
    first = api.get(resource.path, {"limit": 2}).json()
    assert first["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    second = api.get(resource.path, {"limit": 2, "offset": 2}).json()
    assert second["pagination"] == {"total": 3, "limit": 2, "offset": 2, "has_more": False}
    assert len(second["data"]) == 1
    ids = {row["id"] for row in first["data"] + second["data"]}
    assert len(ids) == 3
    beyond = api.get(resource.path, {"offset": 10}).json()
    assert beyond["data"] == [] and beyond["pagination"]["has_more"] is False


def test_ordering_known_and_unknown(api, organization, resource):
    rows = [resource.make(organization) for _ in range(3)]
    ascending = api.get(resource.path, {"ordering": resource.ordering}).json()["data"]
    descending = api.get(resource.path, {"ordering": f"-{resource.ordering}"}).json()["data"]
    assert [row["id"] for row in ascending] == [row["id"] for row in reversed(descending)]
    assert {row["id"] for row in ascending} == {str(row.pk) for row in rows}
    for bad in ("colour", f"{resource.ordering},-colour", "organization"):
        response = api.get(resource.path, {"ordering": bad})
        assert response.status_code == 400
        assert "ordering" in response.json()["error"]["fields"]


def test_search_length_limit(api, organization, resource):
    resource.make(organization)
    assert api.get(resource.path, {"search": "x" * 200}).status_code == 200
    response = api.get(resource.path, {"search": "x" * 201})
    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]


def test_facets_known_and_unknown(api, organization, resource):
    resource.make(organization)
    resource.make(organization)
    response = api.get(resource.path, {"facets": resource.facet})
    assert response.status_code == 200
    assert sum(response.json()["facets"][resource.facet].values()) == 2
    assert "facets" not in api.get(resource.path).json()
    for bad in ("colour", f"{resource.facet},organization"):
        response = api.get(resource.path, {"facets": bad})
        assert response.status_code == 400
        assert "facets" in response.json()["error"]["fields"]


def test_list_query_count_does_not_grow_with_page_size(api, organization, resource, django_assert_max_num_queries):
    for _ in range(50):
        resource.make(organization)
    api.get(resource.path, {"limit": 1})  # the key's last_used_at is written at most once a minute: do it now
    with CaptureQueriesContext(connection) as page_of_one:
        assert len(api.get(resource.path, {"limit": 1}).json()["data"]) == 1
    # key look-up, count, page (+ prefetched attributions for conversions): the same for 1 row or 50
    assert len(page_of_one.captured_queries) <= 4
    with django_assert_max_num_queries(len(page_of_one.captured_queries)):
        assert len(api.get(resource.path, {"limit": 50}).json()["data"]) == 50
